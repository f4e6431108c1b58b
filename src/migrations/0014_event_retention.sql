-- Retention of domain events (migration 0012): the outbox and the handlers' marks grow with every
-- change, so workers delete, in bounded batches, the events that no one needs any more
-- (src/modules/events/retention.ts). An event goes when all of these hold:
--   - it is older than the retention period (EVENT_RETENTION_DAYS);
--   - it has its number (seq) and every handler's cursor in its organization has passed it. The
--     handlers are those with a cursor in any organization: a handler that runs somewhere gets a
--     cursor in every organization it dispatches, and one without a cursor in this organization
--     counts as being at 0, so nothing it has not read goes. A handler that is gone from the code
--     keeps its cursors, and so holds its organizations' events back until its rows are deleted:
--     the safe side. A new handler starts from the events still kept;
--   - no handler run of it is open: retrying or retry_requested, or failed (a dead letter) less
--     than the dead-letter period ago (the caller passes 30 days, or the retention if longer).
-- Its handler marks (domain_event_deliveries, done or an expired dead letter) go with it (ON
-- DELETE CASCADE).
--
-- Safe when several processes run it at once: the events to delete are locked FOR UPDATE SKIP
-- LOCKED, so two runs never wait on, or deadlock over, the same rows; each deletes what the other
-- did not take. (The retention loop also takes an advisory lock so that one process does the work.)

-- The cascade from an event to its marks looks them up by (org_id, event_id); the primary key
-- (org_id, handler, event_id) has the handler in between, so without this index every deleted
-- event would read all of its organization's marks.
CREATE INDEX domain_event_deliveries_event_idx ON domain_event_deliveries (org_id, event_id);

-- Deletes at most p_limit events that may go (see above), across organizations (hence SECURITY
-- DEFINER: it takes times and a count, and returns a count). p_before: events that occurred
-- before it are old enough; p_dead_before: dead letters that failed before it no longer hold their
-- event. Events are found per organization through the primary key: ids are UUIDv7, whose first
-- 48 bits are the milliseconds of their emission, so "older than p_before" is a range of the key
-- (org_id, id) and a pass reads only old events, whatever number of recent ones are kept; the
-- occurred_at test keeps the rule exact.
CREATE FUNCTION bul_events_prune(p_before timestamptz, p_dead_before timestamptz, p_limit integer)
RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  id_before uuid := (lpad(to_hex(floor(extract(epoch FROM p_before) * 1000)::bigint), 12, '0')
                     || repeat('0', 20))::uuid;
  handlers text[] := ARRAY(SELECT DISTINCT handler FROM domain_event_cursors);
  deleted integer;
BEGIN
  -- No handler has run anywhere: nothing has been numbered or read, so nothing may go.
  IF cardinality(handlers) = 0 THEN
    RETURN 0;
  END IF;
  WITH passed AS (
    -- How far every handler has read, per organization (0 where one has no cursor yet).
    SELECT h.org_id,
           (SELECT min(coalesce(c.last_seq, 0)) FROM unnest(handlers) AS hn(name)
            LEFT JOIN domain_event_cursors c ON c.org_id = h.org_id AND c.handler = hn.name) AS seq
    FROM domain_event_heads h
  ), doomed AS (
    SELECT e.org_id, e.id
    FROM passed p
    CROSS JOIN LATERAL (
      SELECT e.org_id, e.id FROM domain_events e
      WHERE e.org_id = p.org_id AND e.id < id_before AND e.occurred_at < p_before
        -- `+ 0`: not through the index on seq, which would read every event the handlers passed
        -- (the recent ones too) where the key's range reads the old ones only.
        AND e.seq + 0 <= p.seq
        AND NOT EXISTS (
          SELECT 1 FROM domain_event_deliveries d
          WHERE d.org_id = e.org_id AND d.event_id = e.id AND d.status <> 'done'
            AND (d.status <> 'failed' OR d.updated_at >= p_dead_before))
      ORDER BY e.id
      LIMIT p_limit
      FOR UPDATE OF e SKIP LOCKED
    ) e
    WHERE p.seq > 0
    LIMIT p_limit
  )
  DELETE FROM domain_events e USING doomed d WHERE e.org_id = d.org_id AND e.id = d.id;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  RETURN deleted;
END $$;
REVOKE ALL ON FUNCTION bul_events_prune(timestamptz, timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_events_prune(timestamptz, timestamptz, integer) TO bul_runtime;
