// UUIDv7 ids, generated in the application (PostgreSQL has uuidv7() only from 18; BUL supports 15+).
import { v7 } from 'uuid';

export const newId = (): string => v7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (text: string): boolean => UUID.test(text);

/** The organization id under which platform-level events and rules are kept. */
export const PLATFORM_ORG_ID = '00000000-0000-0000-0000-000000000000';
