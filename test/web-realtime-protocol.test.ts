// The web app's realtime logic without a browser: reading /ws messages, the socket's address with
// the id to resume after, the reconnection backoff, and the rule that tells an edit form its
// record was changed by someone else (web/src/api/realtimeProtocol.ts, components/staleRule.ts).
import { describe, expect, it } from 'vitest';
import {
  BACKOFF_CAP_ATTEMPT,
  BACKOFF_CAP_MS,
  closeNeedsSessionCheck,
  parseServerMessage,
  realtimeUrl,
  reconnectDelay,
} from '../web/src/api/realtimeProtocol.ts';
import { eventTouches, storedIsNewer } from '../web/src/components/staleRule.ts';

const EVENT = {
  id: '01936f3e-8b1a-7c2d-9e4f-0a1b2c3d4e5f',
  type: 'task.updated',
  seq: 12,
  occurredAt: '2026-12-07T01:00:00.000Z',
  actor: { type: 'user' as const, id: 'u1' },
  payload: { id: 't1', projectId: 'p1', fields: ['title'] },
};

describe('parseServerMessage', () => {
  it('reads a domain event (a type with a dot) with its id, actor and payload', () => {
    const msg = parseServerMessage(JSON.stringify(EVENT));
    expect(msg).toEqual({ kind: 'event', event: EVENT });
  });

  it('reads ready, reload; ignores control messages it does not act on, and garbage', () => {
    expect(
      parseServerMessage(
        JSON.stringify({ type: 'ready', organizationId: 'o', userId: 'u', heartbeatMs: 30000, resumed: 2 }),
      ),
    ).toEqual({ kind: 'ready', heartbeatMs: 30000, resumed: 2 });
    expect(parseServerMessage('{"type":"ready"}')).toEqual({ kind: 'ready', heartbeatMs: null, resumed: 0 });
    expect(parseServerMessage('{"type":"reload","reason":"too-far-behind"}')).toEqual({ kind: 'reload' });
    for (const text of [
      '{"type":"pong"}',
      '{"type":"subscribed","subscription":"1"}',
      'not json',
      '[]',
      '42',
    ]) {
      expect(parseServerMessage(text), text).toEqual({ kind: 'ignored' });
    }
    // An event without an id could not be resumed after: it is not taken for one.
    expect(parseServerMessage('{"type":"task.updated","payload":{"id":"t1"}}')).toEqual({ kind: 'ignored' });
  });
});

describe('realtimeUrl', () => {
  it('is /ws on the page origin, ws or wss as the page, with the id to resume after', () => {
    expect(realtimeUrl({ protocol: 'http:', host: 'localhost:3000' }, null)).toBe('ws://localhost:3000/ws');
    expect(realtimeUrl({ protocol: 'https:', host: 'bul.example.com' }, EVENT.id)).toBe(
      `wss://bul.example.com/ws?lastEventId=${EVENT.id}`,
    );
  });
});

describe('reconnectDelay', () => {
  it('grows exponentially from 500 ms, capped at 30 s, with jitter between a tenth and all of it', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 20, 1000].map((a) => reconnectDelay(a, 0.999999));
    expect(ceilings).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    expect(reconnectDelay(0, 0)).toBe(50);
    expect(reconnectDelay(10, 0)).toBe(BACKOFF_CAP_MS / 10);
    const spread = new Set(Array.from({ length: 50 }, (_, i) => reconnectDelay(4, i / 50)));
    expect(spread.size).toBe(50);
  });

  it('checks the session first (and waits longest) only on ended credentials or another organization', () => {
    expect(reconnectDelay(BACKOFF_CAP_ATTEMPT, 0.999999)).toBe(BACKOFF_CAP_MS);
    expect(reconnectDelay(BACKOFF_CAP_ATTEMPT - 1, 0.999999)).toBeLessThan(BACKOFF_CAP_MS);
    expect([4401, 4403].every(closeNeedsSessionCheck)).toBe(true);
    expect([1000, 1001, 1006, 1008, 1009, 4400, 4429].some(closeNeedsSessionCheck)).toBe(false);
  });
});

describe('the stale rule', () => {
  it("an update, status change or assignment of the form's record changes it; a deletion deletes it", () => {
    for (const type of ['task.updated', 'task.status_changed', 'task.assigned']) {
      expect(eventTouches({ ...EVENT, type }, 'task', 't1'), type).toBe('changed');
    }
    expect(eventTouches({ ...EVENT, type: 'task.deleted' }, 'task', 't1')).toBe('deleted');
  });

  it('another record, another subject, a creation or a comment touch nothing', () => {
    expect(eventTouches(EVENT, 'task', 't2')).toBeNull();
    expect(eventTouches(EVENT, 'project', 't1')).toBeNull();
    expect(eventTouches({ ...EVENT, type: 'task.created' }, 'task', 't1')).toBeNull();
    expect(eventTouches({ ...EVENT, type: 'comment.added', payload: { id: 't1' } }, 'task', 't1')).toBeNull();
    // Any subject works the same way: a project's own event concerns a form on that project.
    expect(eventTouches({ ...EVENT, type: 'project.updated', payload: { id: 'p1' } }, 'project', 'p1')).toBe(
      'changed',
    );
  });

  it('is stale only when the stored version is newer than the one the form edits (its own save is not)', () => {
    expect(storedIsNewer({ version: 4 }, { version: 3 })).toBe(true);
    expect(storedIsNewer({ version: 4 }, { version: 4 })).toBe(false);
    expect(storedIsNewer({ version: 3 }, { version: 4 })).toBe(false);
  });
});
