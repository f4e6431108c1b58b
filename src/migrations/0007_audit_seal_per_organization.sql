-- The background sealer's pass over every organization (bul_audit_seal with p_org NULL) no longer
-- stops at the first organization whose events fail to seal. Before, one error rolled the whole
-- pass back, so one organization's fault (a corrupt row, a lock timeout, a trigger an operator
-- added) left every organization's new events unsealed until the fault was gone, and only their
-- readers' own seals linked them.
--
-- Now each organization is sealed in a block of its own: on an error its work is undone, a
-- WARNING names the organization and the error (the server log has it, and the sealer logs it),
-- and the pass goes on. A reader's seal of one organization (p_org set) still raises the error:
-- its caller cannot read a complete chain and must know why.
-- The body is otherwise 0006's (CREATE OR REPLACE needs all of it).

-- Links one organization's committed, unsealed events into its chain (oldest first), at most
-- p_limit of them (NULL: all). p_wait: wait for another sealer of the organization, or else skip
-- it. Returns how many it sealed.
CREATE FUNCTION bul_audit_seal_one(o uuid, p_wait boolean, p_limit integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head audit_chain_heads;
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
  FOR e IN
    SELECT * FROM audit_events WHERE org_id = o AND seq IS NULL
    ORDER BY created_at, id
    LIMIT p_limit
  LOOP
    e.seq := head.last_seq + 1;
    e.prev_hash := head.last_hash;
    e.hash := bul_audit_hash(e);
    UPDATE audit_events SET seq = e.seq, prev_hash = e.prev_hash, hash = e.hash
      WHERE org_id = o AND id = e.id;
    head.last_seq := e.seq;
    head.last_hash := e.hash;
    sealed := sealed + 1;
  END LOOP;
  UPDATE audit_chain_heads SET last_seq = head.last_seq, last_hash = head.last_hash, updated_at = now()
    WHERE org_id = o;
  RETURN sealed;
END $$;
REVOKE ALL ON FUNCTION bul_audit_seal_one(uuid, boolean, integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION bul_audit_seal(p_org uuid DEFAULT NULL, p_limit integer DEFAULT 10000) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  o uuid;
  sealed integer := 0;
BEGIN
  FOR o IN
    SELECT DISTINCT u.org_id FROM audit_events u
    WHERE u.seq IS NULL AND (p_org IS NULL OR u.org_id = p_org)
  LOOP
    IF p_org IS NOT NULL THEN
      sealed := sealed + bul_audit_seal_one(o, true, NULL);
    ELSE
      BEGIN
        sealed := sealed + bul_audit_seal_one(o, false, p_limit);
      EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'audit events of organization % were not sealed: %', o, SQLERRM;
      END;
    END IF;
  END LOOP;
  RETURN sealed;
END $$;
