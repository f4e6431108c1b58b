-- The audit chain is linked at COMMIT instead of at INSERT.
--
-- Until now the BEFORE INSERT trigger numbered, linked and hashed each event as it was inserted,
-- taking the organization's chain head row lock (FOR UPDATE) there and holding it until the
-- transaction ended. Every audited write of an organization therefore queued behind the others for
-- the rest of their transactions, including the round trips to the application between the event's
-- INSERT and the COMMIT: under concurrent writes the lock, not the work, set the pace.
--
-- Now an event is inserted unsealed (seq NULL, prev_hash and hash empty), and a deferred constraint
-- trigger seals it while the transaction commits: it locks the chain head, gives the event the next
-- seq, the previous hash and created_at (the commit time, so seq still follows time), hashes it and
-- moves the head. The head lock is held from there to the end of the commit only: no client round
-- trip happens in between. What the chain guarantees is unchanged:
--   - the events committed in an organization are numbered 1..n without gaps, in commit order, each
--     storing the previous one's hash and its own (same canonical text, bul_audit_hash);
--   - only sealed events are ever visible to other transactions (the seal runs before the commit
--     completes, in the same transaction), so bul_audit_verify needs no change: an edited, deleted
--     or reordered event still breaks the seq sequence, a link or a hash, or the head's record;
--   - a transaction that rolls back never seals, so it uses no seq.
-- Deferred triggers fire in the order their rows were inserted, so the events of one transaction
-- keep their order. Within its own transaction, before COMMIT, an event has no seq and no hash yet.

ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL;

-- At INSERT: placeholders only, whatever the writer put there (no chain head lock).
CREATE OR REPLACE FUNCTION bul_audit_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  NEW.seq := NULL;
  NEW.prev_hash := '';
  NEW.hash := '';
  RETURN NEW;
END $$;

-- At COMMIT: link the event into its organization's chain.
CREATE FUNCTION bul_audit_seal() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  head audit_chain_heads;
  e audit_events;
BEGIN
  SELECT * INTO head FROM audit_chain_heads WHERE org_id = NEW.org_id FOR UPDATE;
  IF NOT FOUND THEN -- the organization's first event (two first events race: one waits, then finds it)
    INSERT INTO audit_chain_heads (org_id, last_seq, last_hash) VALUES (NEW.org_id, 0, repeat('0', 64))
      ON CONFLICT (org_id) DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads WHERE org_id = NEW.org_id FOR UPDATE;
  END IF;
  e := NEW;
  e.seq := head.last_seq + 1;
  e.prev_hash := head.last_hash;
  e.created_at := clock_timestamp();
  e.hash := bul_audit_hash(e);
  UPDATE audit_events SET seq = e.seq, prev_hash = e.prev_hash, created_at = e.created_at, hash = e.hash
    WHERE org_id = e.org_id AND id = e.id;
  UPDATE audit_chain_heads SET last_seq = e.seq, last_hash = e.hash, updated_at = now()
    WHERE org_id = e.org_id;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER audit_events_seal AFTER INSERT ON audit_events
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bul_audit_seal();
