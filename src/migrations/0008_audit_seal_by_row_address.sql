-- The sealer writes each event's chain fields back to the row it just read, by the row's physical
-- address (ctid), instead of looking the event up again by (org_id, id).
--
-- Why: the lookup's plan is made once per connection (plpgsql caches it) and kept until the table's
-- statistics change. A connection that first sealed while audit_events was new and never analysed
-- (a fresh installation: autovacuum had not run yet) could keep a plan that found the event through
-- audit_events_time_idx (org_id, created_at), reading every event of the organization to update
-- one. Sealing then cost time in proportion to the chain's length for every event: 200 events of
-- an organization with 3,200 read 1.1 million index entries (test/audit.test.ts has the case), and
-- under a login load the seal took a third of the database's CPU. An update by ctid has one plan,
-- whatever the statistics: a TID scan of one row.
--
-- Safe because nothing else updates an unsealed event: the app role may only INSERT, and sealers of
-- one organization take turns (the advisory lock). If an owner-level user changes the row between
-- the read and the write anyway, the write finds no row, and the organization's seal fails (and is
-- retried by the next pass) rather than chaining an event whose stored fields were not hashed.
-- The body is otherwise 0007's (CREATE OR REPLACE needs all of it).
CREATE OR REPLACE FUNCTION bul_audit_seal_one(o uuid, p_wait boolean, p_limit integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head audit_chain_heads;
  pending record;
  e audit_events;
  sealed integer := 0;
BEGIN
  -- One sealer per organization (key space 1651272001: BUL's audit chain).
  IF p_wait THEN
    PERFORM pg_advisory_xact_lock(1651272001, hashtext(o::text));
  ELSIF NOT pg_try_advisory_xact_lock(1651272001, hashtext(o::text)) THEN
    RETURN 0;
  END IF;
  -- Read after taking the lock (a new snapshot): the previous sealer's work is committed.
  SELECT * INTO head FROM audit_chain_heads WHERE org_id = o FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_chain_heads (org_id, last_seq, last_hash) VALUES (o, 0, repeat('0', 64))
      ON CONFLICT (org_id) DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads WHERE org_id = o FOR UPDATE;
  END IF;
  FOR pending IN
    SELECT a.ctid AS address, a AS event FROM audit_events a WHERE a.org_id = o AND a.seq IS NULL
    ORDER BY a.created_at, a.id
    LIMIT p_limit
  LOOP
    e := pending.event;
    e.seq := head.last_seq + 1;
    e.prev_hash := head.last_hash;
    e.hash := bul_audit_hash(e);
    UPDATE audit_events SET seq = e.seq, prev_hash = e.prev_hash, hash = e.hash
      WHERE ctid = pending.address;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'audit event % changed while it was being sealed', e.id;
    END IF;
    head.last_seq := e.seq;
    head.last_hash := e.hash;
    sealed := sealed + 1;
  END LOOP;
  UPDATE audit_chain_heads SET last_seq = head.last_seq, last_hash = head.last_hash, updated_at = now()
    WHERE org_id = o;
  RETURN sealed;
END $$;
