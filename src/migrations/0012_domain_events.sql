-- Domain events (issue 15, item 2): a transactional outbox, its commit-ordered sequence per
-- organization, and each handler's progress, idempotency keys and dead letters.
--
-- 1. domain_events is the outbox. A service inserts its events in the transaction of the change
--    (AuditService.record/recordWith with `events`), so a rolled-back change emits nothing. The
--    audit row is not the outbox: audit rows are immutable once sealed, carry no typed payload,
--    and not every audited action is a domain event (reads of an export, failed logins of unknown
--    users); the event row holds its catalogued payload and points at nothing else.
-- 2. Commit order. An id or a sequence number taken at insert is not commit order (a transaction
--    that inserts first may commit last). Like the audit sealer (0006-0008), the dispatcher numbers
--    events AFTER they commit: under the organization's dispatch lock, bul_events_sequence gives
--    the committed unnumbered events of one organization the next numbers (`seq`), in insert order
--    (`emitted`, a sequence drawn at insert). An event committed after a numbering pass is numbered
--    after every event of that pass, so a handler reading in `seq` order never sees an event
--    before one that was visible earlier. Within one pass, insert order stands for commit order:
--    two transactions that touch the same row insert their events after taking its lock, so the
--    second inserts after the first committed; transactions that touch nothing in common are
--    concurrent, and either order is one they could have committed in. Why not xid8 and the
--    snapshot's xmin horizon: the transaction id is assigned at the first write, not at commit
--    either, and one long transaction in the cluster (a backup, an export) holds the horizon back
--    and stalls every organization's events; numbering after commit never waits on anyone.
-- 3. Per handler and organization: a cursor (the last seq handled in order) and a row per
--    (handler, event) once handled (status done: the idempotency key, written in the handler's own
--    transaction), or while it is retrying, or once it failed for good (dead letter).
-- Every table leads its primary key with org_id and is under row-level security.

CREATE SEQUENCE domain_events_emitted_seq;
GRANT USAGE ON SEQUENCE domain_events_emitted_seq TO bul_runtime;

CREATE TABLE domain_events (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  type text NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
  actor_id uuid,
  payload jsonb NOT NULL,
  occurred_at timestamptz NOT NULL DEFAULT now(),
  emitted bigint NOT NULL DEFAULT nextval('domain_events_emitted_seq'),
  seq bigint,
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX domain_events_seq_idx ON domain_events (org_id, seq) WHERE seq IS NOT NULL;
-- The events waiting for their number: tiny, since the dispatcher numbers them within moments.
CREATE INDEX domain_events_unsequenced_idx ON domain_events (org_id, emitted) WHERE seq IS NULL;

-- The last number given per organization.
CREATE TABLE domain_event_heads (
  org_id uuid PRIMARY KEY,
  last_seq bigint NOT NULL DEFAULT 0
);

-- How far each handler has read each organization's events, in order.
CREATE TABLE domain_event_cursors (
  org_id uuid NOT NULL,
  handler text NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, handler)
);

-- One row per (handler, event) that was handled, is being retried, or failed for good.
CREATE TABLE domain_event_deliveries (
  org_id uuid NOT NULL,
  handler text NOT NULL,
  event_id uuid NOT NULL,
  id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('done', 'retrying', 'failed', 'retry_requested')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, handler, event_id),
  UNIQUE (org_id, id),
  FOREIGN KEY (org_id, event_id) REFERENCES domain_events (org_id, id) ON DELETE CASCADE
);
-- The dead letters and pending retries of an organization, newest first.
CREATE INDEX domain_event_deliveries_open_idx ON domain_event_deliveries (org_id, updated_at DESC, id)
  WHERE status <> 'done';

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['domain_events', 'domain_event_heads', 'domain_event_cursors',
                           'domain_event_deliveries'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org()) WITH CHECK (org_id = bul_current_org())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
  END LOOP;
END $$;

-- No trigger NOTIFYs here: a transaction that NOTIFYs takes a database-wide lock at commit and
-- holds it through its WAL flush, which would make every emitting transaction commit alone. The
-- application NOTIFYs `bul_domain_events` after the commit instead (platform/events/outbox.ts).

-- Numbers the committed unnumbered events of the current organization (see 2). The caller holds
-- the organization's dispatch lock; returns the organization's last number.
CREATE FUNCTION bul_events_sequence() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  o uuid := bul_current_org();
  last bigint;
BEGIN
  INSERT INTO domain_event_heads (org_id) VALUES (o) ON CONFLICT (org_id) DO NOTHING;
  SELECT last_seq INTO last FROM domain_event_heads WHERE org_id = o FOR UPDATE;
  WITH pending AS (
    SELECT id, row_number() OVER (ORDER BY emitted) AS n FROM domain_events
    WHERE org_id = o AND seq IS NULL
  )
  UPDATE domain_events d SET seq = last + p.n FROM pending p WHERE d.org_id = o AND d.id = p.id;
  IF FOUND THEN
    SELECT max(seq) INTO last FROM domain_events WHERE org_id = o AND seq IS NOT NULL;
    UPDATE domain_event_heads SET last_seq = last WHERE org_id = o;
  END IF;
  RETURN last;
END $$;

-- The organizations with work for the dispatchers, across tenants (hence SECURITY DEFINER; it
-- returns ids only): unnumbered events, a handler behind its organization's head, or a retry due.
CREATE FUNCTION bul_events_pending_orgs(p_handlers text[], p_limit integer) RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT org_id FROM (
    SELECT DISTINCT org_id FROM domain_events WHERE seq IS NULL
    UNION
    SELECT h.org_id FROM domain_event_heads h
    WHERE EXISTS (
      SELECT 1 FROM unnest(p_handlers) AS hn(name)
      WHERE coalesce((SELECT c.last_seq FROM domain_event_cursors c
                      WHERE c.org_id = h.org_id AND c.handler = hn.name), 0) < h.last_seq)
    UNION
    SELECT DISTINCT org_id FROM domain_event_deliveries
    WHERE status IN ('retrying', 'retry_requested') AND next_attempt_at <= now()
  ) o LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION bul_events_pending_orgs(text[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_events_pending_orgs(text[], integer) TO bul_runtime;
