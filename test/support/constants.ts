// Fixed secrets for tests (never used outside them).
export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');
export const STRONG_PASSWORD = 'correct-horse-battery-staple-9';
