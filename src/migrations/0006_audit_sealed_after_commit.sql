-- 1. Audit events are chained after their transaction commits, by a sealer, instead of at COMMIT.
--
-- Since 0004 every audited transaction sealed its events while committing: it locked its
-- organization's chain head row and held that lock until its commit record was on disk. The writes
-- of one organization therefore committed one at a time, each with a WAL flush of its own (no group
-- commit), and the lock hand-offs cost more CPU than the writes themselves: a task create spent
-- about 1.5 ms of database CPU in the seal under 16 concurrent writers, against 0.4 ms alone.
--
-- Now the writer's transaction only INSERTs the event (the BEFORE INSERT trigger still forces seq
-- NULL and empty hashes, whatever the writer sent), and bul_audit_seal links the committed,
-- unsealed events of an organization into its chain, oldest first (created_at, then id), in one
-- transaction per organization:
--   - every BUL process runs it every AUDIT_SEAL_INTERVAL_MS (200 ms by default) for all
--     organizations, skipping one another's organizations (try-lock);
--   - every reader of a chain (audit search, export and integrity; `bul audit verify`; the demo
--     seeder) runs it for its organization first, waiting for a sealer at work, so it reads a chain
--     that includes every event committed before it asked.
-- What the chain guarantees is unchanged for sealed events: numbered 1..n without gaps, each
-- storing the previous one's hash and its own, the head recording the last one, so an edited,
-- deleted or reordered event is found by bul_audit_verify. An event is unsealed from its commit
-- until the next seal (at most the interval, or until it is read): in that window an owner-level
-- database user could edit it unnoticed. Such a user can also recompute the chain from any point,
-- which no chain kept in the same database prevents, so the window adds no new exposure.
-- The order of the chain is the sealing order: committed events in (created_at, id) order at each
-- seal; an event committed after a seal joins the end of the chain at the next one.

DROP TRIGGER audit_events_seal ON audit_events;
DROP FUNCTION bul_audit_seal();

-- The pending events: tiny, since sealing takes events out of it within a fraction of a second.
CREATE INDEX audit_events_unsealed_idx ON audit_events (org_id, created_at, id) WHERE seq IS NULL;

-- Seals the committed unsealed events of one organization (p_org: waits for another sealer of the
-- same organization), or of every organization (p_org NULL: organizations another sealer is at are
-- skipped, at most p_limit events each). Returns how many events it sealed.
CREATE FUNCTION bul_audit_seal(p_org uuid DEFAULT NULL, p_limit integer DEFAULT 10000) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  o uuid;
  head audit_chain_heads;
  e audit_events;
  sealed integer := 0;
BEGIN
  FOR o IN
    SELECT DISTINCT u.org_id FROM audit_events u
    WHERE u.seq IS NULL AND (p_org IS NULL OR u.org_id = p_org)
  LOOP
    -- One sealer per organization (key space 1651272001: BUL's audit chain).
    IF p_org IS NOT NULL THEN
      PERFORM pg_advisory_xact_lock(1651272001, hashtext(o::text));
    ELSIF NOT pg_try_advisory_xact_lock(1651272001, hashtext(o::text)) THEN
      CONTINUE;
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
      LIMIT CASE WHEN p_org IS NULL THEN p_limit END
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
  END LOOP;
  RETURN sealed;
END $$;
REVOKE ALL ON FUNCTION bul_audit_seal(uuid, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_audit_seal(uuid, integer) TO bul_runtime;

-- Verification reads the sealed chain; events not sealed yet are not part of it (a sealed event
-- whose seq is set back to NULL leaves a gap, which is reported).
CREATE OR REPLACE FUNCTION bul_audit_verify(p_org uuid)
RETURNS TABLE (ok boolean, checked bigint, bad_seq bigint, bad_id uuid, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  r record;
  prev text := repeat('0', 64);
  expected bigint := 1;
  n bigint := 0;
  head audit_chain_heads;
BEGIN
  FOR r IN SELECT e.org_id, e.id, e.seq, e.prev_hash, e.hash, bul_audit_hash(e) AS recomputed
           FROM audit_events e WHERE e.org_id = p_org AND e.seq IS NOT NULL ORDER BY e.seq LOOP
    n := n + 1;
    IF r.seq <> expected THEN
      RETURN QUERY SELECT false, n, r.seq, r.id,
        format('expected event #%s but found #%s: events were deleted or renumbered', expected, r.seq);
      RETURN;
    END IF;
    IF r.prev_hash <> prev THEN
      RETURN QUERY SELECT false, n, r.seq, r.id,
        format('event #%s does not link to the event before it: events were reordered, replaced or rewritten', r.seq);
      RETURN;
    END IF;
    IF r.hash <> r.recomputed THEN
      RETURN QUERY SELECT false, n, r.seq, r.id,
        format('event #%s was modified after it was written (its hash no longer matches its content)', r.seq);
      RETURN;
    END IF;
    prev := r.hash;
    expected := expected + 1;
  END LOOP;
  SELECT * INTO head FROM audit_chain_heads WHERE org_id = p_org;
  IF FOUND AND (head.last_seq <> expected - 1 OR head.last_hash <> prev) THEN
    RETURN QUERY SELECT false, n, head.last_seq, NULL::uuid,
      format('the chain ends at event #%s but its head records #%s: the latest events were deleted or altered', expected - 1, head.last_seq);
    RETURN;
  END IF;
  IF NOT FOUND AND n > 0 THEN
    RETURN QUERY SELECT false, n, NULL::bigint, NULL::uuid, 'the chain head is missing';
    RETURN;
  END IF;
  RETURN QUERY SELECT true, n, NULL::bigint, NULL::uuid, NULL::text;
END $$;

-- 2. The per-request authorization lookups move from LANGUAGE sql to plpgsql (as the login lookup
-- did in 0005). A SECURITY DEFINER SQL function is never inlined, and before PostgreSQL 18 its
-- statements were planned again on every call: on PostgreSQL 15 the session lookup cost 0.85 ms
-- of database CPU per request, 0.12 ms as plpgsql, whose plans live as long as the connection.
-- Same results: NULL when there is no such session or key.
CREATE OR REPLACE FUNCTION bul_auth_payload(p_user uuid, p_org uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  RETURN jsonb_build_object(
    'user', (SELECT jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name, 'status', u.status,
                    'isSuperAdmin', u.is_super_admin, 'mfaEnabled', u.mfa_enabled, 'locale', u.locale)
             FROM users u WHERE u.id = p_user),
    'org', (SELECT jsonb_build_object('id', o.id, 'name', o.name, 'subdomain', o.subdomain, 'status', o.status,
                   'requireMfa', o.require_mfa, 'planId', o.plan_id,
                   'maxApiRequestsPerMonth', p.max_api_requests_per_month,
                   'apiRequestsThisMonth', coalesce((SELECT c.value FROM usage_counters c WHERE c.org_id = o.id
                        AND c.metric = 'api_requests' AND c.period = date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0),
                   'ipRules', coalesce((SELECT jsonb_agg(jsonb_build_object('cidr', i.cidr::text, 'action', i.action))
                        FROM ip_rules i WHERE i.org_id = o.id), '[]'::jsonb))
            FROM organizations o JOIN plans p ON p.id = o.plan_id WHERE o.id = p_org),
    'membership', (SELECT jsonb_build_object('id', m.id, 'status', m.status, 'departmentId', m.department_id,
                          'roleId', r.id, 'roleKey', r.key, 'roleName', r.name, 'permissions', to_jsonb(r.permissions))
                   FROM memberships m JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id
                   WHERE m.org_id = p_org AND m.user_id = p_user)
  );
END $$;

CREATE OR REPLACE FUNCTION bul_auth_by_session(p_session uuid, p_user uuid, p_org uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s sessions;
BEGIN
  SELECT * INTO s FROM sessions WHERE id = p_session AND user_id = p_user;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN bul_auth_payload(s.user_id, coalesce(p_org, s.org_id)) || jsonb_build_object('session',
           jsonb_build_object('id', s.id, 'kind', s.kind, 'orgId', s.org_id, 'mfaVerified', s.mfa_verified,
             'expiresAt', s.expires_at, 'lastSeenAt', s.last_seen_at, 'revoked', s.revoked_at IS NOT NULL, 'csrfHash', s.csrf_hash));
END $$;

CREATE OR REPLACE FUNCTION bul_auth_by_cookie(p_cookie_hash text, p_org uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s sessions;
BEGIN
  SELECT * INTO s FROM sessions WHERE cookie_hash = p_cookie_hash;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN bul_auth_by_session(s.id, s.user_id, p_org);
END $$;

CREATE OR REPLACE FUNCTION bul_auth_by_api_key(p_key_hash text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  k api_keys;
BEGIN
  SELECT * INTO k FROM api_keys WHERE key_hash = p_key_hash;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  RETURN bul_auth_payload(k.user_id, k.org_id) || jsonb_build_object('apiKey',
           jsonb_build_object('id', k.id, 'orgId', k.org_id, 'name', k.name, 'scopes', to_jsonb(k.scopes),
             'expiresAt', k.expires_at, 'revoked', k.revoked_at IS NOT NULL, 'lastUsedAt', k.last_used_at));
END $$;
