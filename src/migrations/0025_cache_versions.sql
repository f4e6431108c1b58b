-- The cache's data version (issue 19, Q1; docs/cache.md): what changes whenever the data of an
-- organization (or of every organization together) changes, read in one statement.
--
-- 1. How many audit events it has committed. Every mutation writes an audit event in its own
--    transaction (also those that emit no domain event: a payment recorded, feedback, a sign-in,
--    a user renamed), so the number grows with each such commit, visible exactly when the change
--    is: a value cached under it is recomputed by the first read after the change, in any process.
--    Committed events = the sealed ones (audit_chain_heads.last_seq; seq is gapless, 1, 2, ...) +
--    those still waiting for the sealer (seq IS NULL, counted on audit_events_unsealed_idx);
--    sealing moves events from the second count to the first in one transaction, so the sum never
--    goes back, and any new commit raises it. Audit events are never deleted.
-- 2. The same for domain events (domain_event_heads.last_seq + unnumbered events): a change a
--    job makes with events only still counts.
-- 3. The organization's row version (organizations.version moves on every UPDATE: time zone,
--    currency, plan). For every organization together: bul_data_changes.n, a counter raised in the
--    transaction of every INSERT, UPDATE or DELETE of organizations — monotonic, where a count or a
--    max(updated_at) could come back to an earlier value after a deletion.
--
-- Text, never rows; the caller is checked as for analytics: p_org must be the organization the
-- transaction acts for, and NULL (every organization) needs a super admin.
CREATE TABLE bul_data_changes (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  n bigint NOT NULL
);
INSERT INTO bul_data_changes (id, n) VALUES (true, 0);

CREATE FUNCTION bul_data_changes_bump() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE bul_data_changes SET n = n + 1 WHERE id;
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION bul_data_changes_bump() FROM PUBLIC;
CREATE TRIGGER organizations_data_changes AFTER INSERT OR UPDATE OR DELETE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION bul_data_changes_bump();

CREATE FUNCTION bul_data_version(p_org uuid) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF p_org IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = bul_current_user() AND u.is_super_admin) THEN
      RAISE EXCEPTION 'the installation''s data version needs a super admin' USING ERRCODE = '42501';
    END IF;
    RETURN (coalesce((SELECT sum(h.last_seq) FROM audit_chain_heads h), 0)
      + (SELECT count(*) FROM audit_events a WHERE a.seq IS NULL))::text
      || '.' || (coalesce((SELECT sum(h.last_seq) FROM domain_event_heads h), 0)
      + (SELECT count(*) FROM domain_events d WHERE d.seq IS NULL))::text
      || '.' || (SELECT c.n FROM bul_data_changes c WHERE c.id)::text;
  END IF;
  IF p_org IS DISTINCT FROM bul_current_org() THEN
    RAISE EXCEPTION 'the data version of an organization other than the current one' USING ERRCODE = '42501';
  END IF;
  RETURN (coalesce((SELECT h.last_seq FROM audit_chain_heads h WHERE h.org_id = p_org), 0)
    + (SELECT count(*) FROM audit_events a WHERE a.org_id = p_org AND a.seq IS NULL))::text
    || '.' || (coalesce((SELECT h.last_seq FROM domain_event_heads h WHERE h.org_id = p_org), 0)
    + (SELECT count(*) FROM domain_events d WHERE d.org_id = p_org AND d.seq IS NULL))::text
    || '.' || coalesce((SELECT o.version::text FROM organizations o WHERE o.id = p_org), '');
END $$;
REVOKE ALL ON FUNCTION bul_data_version(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_data_version(uuid) TO bul_runtime;
