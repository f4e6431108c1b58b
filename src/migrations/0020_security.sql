-- Threat detection (src/modules/security, docs/security.md): the threats the detectors raise, the
-- facts they count (failed logins, deletes and exports per user), and what each user and API key
-- is known to sign in or call from. Tenant tables: primary key (org_id, ...), row-level security on
-- app.org_id. Platform-wide rows (failed logins of unknown e-mails, threats about them, sessions of
-- users without an organization) live under the nil organization (bul_platform_org()).

CREATE TABLE security_threats (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  type text NOT NULL CHECK (type IN ('failed_login_burst_account', 'failed_login_burst_ip',
    'credential_stuffing_ip', 'credential_stuffing_account', 'new_login_location', 'impossible_travel',
    'refresh_token_reuse', 'api_key_new_ip', 'permission_escalation', 'mass_delete', 'mass_export')),
  severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  user_id uuid,
  ip text,
  -- Deduplication: a detection whose key has a threat seen within its window adds to that threat.
  dedupe_key text NOT NULL CHECK (length(dedupe_key) <= 500),
  evidence jsonb NOT NULL DEFAULT '{}',
  occurrences integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
  detected_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed')),
  dismissed_by uuid,
  dismissed_at timestamptz,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX security_threats_recent_idx ON security_threats (org_id, detected_at DESC, id DESC);
CREATE INDEX security_threats_dedupe_idx ON security_threats (org_id, dedupe_key, last_seen_at DESC);

-- Every failed login or MFA step (from the login path, inline), under the user's organization or
-- the nil organization (unknown e-mail, user without one). Kept SECURITY_FACT_RETENTION (30 days).
CREATE TABLE security_login_failures (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  at timestamptz NOT NULL,
  email text NOT NULL CHECK (length(email) <= 254),
  user_id uuid,
  ip text NOT NULL,
  user_agent text,
  reason text NOT NULL,
  locked_for_seconds integer,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX security_login_failures_recent_idx ON security_login_failures (org_id, at);
-- The cross-organization counts (an IP trying accounts of several organizations) read these.
CREATE INDEX security_login_failures_ip_idx ON security_login_failures (ip, at);
CREATE INDEX security_login_failures_email_idx ON security_login_failures (lower(email), at);

-- Where each user signs in from: network (/24 or /48), country (with a GeoIP database) and device
-- (browser family on OS family), first and last seen.
CREATE TABLE security_login_origins (
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('network', 'country', 'device')),
  value text NOT NULL CHECK (length(value) <= 200),
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  logins integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, user_id, kind, value)
);

-- The last located login of each user (impossible travel compares the next one with it).
CREATE TABLE security_last_logins (
  org_id uuid NOT NULL,
  user_id uuid NOT NULL,
  at timestamptz NOT NULL,
  ip text NOT NULL,
  country text,
  latitude double precision,
  longitude double precision,
  PRIMARY KEY (org_id, user_id)
);

-- The networks (/24, /48) each API key was used from.
CREATE TABLE security_api_key_networks (
  org_id uuid NOT NULL,
  api_key_id uuid NOT NULL,
  network text NOT NULL,
  first_seen_at timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, api_key_id, network)
);

-- Deletes and exports per user (mass delete / mass export detection).
CREATE TABLE security_user_actions (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('delete', 'export')),
  resource_type text NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id)
);
CREATE INDEX security_user_actions_user_idx ON security_user_actions (org_id, user_id, kind, at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['security_threats', 'security_login_failures', 'security_login_origins',
                           'security_last_logins', 'security_api_key_networks', 'security_user_actions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org()) WITH CHECK (org_id = bul_current_org())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
  END LOOP;
END $$;

-- Failed logins from one IP since a time, across organizations (an attacker tries accounts of
-- every tenant): counts only, never whose accounts.
CREATE FUNCTION bul_security_ip_failures(p_ip text, p_since timestamptz)
RETURNS TABLE (failures bigint, accounts bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*), count(DISTINCT lower(email)) FROM security_login_failures
  WHERE ip = p_ip AND at >= p_since
$$;

-- Failed logins on one e-mail since a time, across organizations: counts only.
CREATE FUNCTION bul_security_account_failures(p_email text, p_since timestamptz)
RETURNS TABLE (failures bigint, ips bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT count(*), count(DISTINCT ip) FROM security_login_failures
  WHERE lower(email) = lower(p_email) AND at >= p_since
$$;

-- Retention of the facts (the worker's daily job), across organizations.
CREATE FUNCTION bul_security_purge(p_before timestamptz) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint; m bigint;
BEGIN
  DELETE FROM security_login_failures WHERE at < p_before;
  GET DIAGNOSTICS n = ROW_COUNT;
  DELETE FROM security_user_actions WHERE at < p_before;
  GET DIAGNOSTICS m = ROW_COUNT;
  RETURN n + m;
END $$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['bul_security_ip_failures(text,timestamptz)',
    'bul_security_account_failures(text,timestamptz)', 'bul_security_purge(timestamptz)'] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO bul_runtime', f);
  END LOOP;
END $$;

-- A successful login's writes (0005), plus the domain event `security.login_succeeded` in the
-- same statement (no extra round trip on the login path): the security module's handler checks
-- the login's network, country and device in a worker. Only logins into an organization emit it
-- (domain events belong to one). p_login_event: the event's id (UUIDv7, drawn by the caller).
DROP FUNCTION bul_start_login_session(uuid, uuid, text, uuid, text, text, text, boolean, text, text,
  timestamptz, uuid, text, uuid, jsonb, text);
CREATE FUNCTION bul_start_login_session(
  p_session uuid, p_user uuid, p_email text, p_org uuid, p_kind text, p_cookie_hash text, p_csrf_hash text,
  p_mfa_verified boolean, p_ip text, p_user_agent text, p_expires_at timestamptz,
  p_refresh_id uuid, p_refresh_hash text,
  p_event_id uuid, p_event_metadata jsonb, p_request_id text, p_login_event uuid)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
BEGIN
  PERFORM set_config('app.org_id', coalesce(p_org::text, ''), true),
          set_config('app.user_id', p_user::text, true);
  INSERT INTO sessions (id, user_id, org_id, kind, cookie_hash, csrf_hash, mfa_verified, ip, user_agent, expires_at)
  VALUES (p_session, p_user, p_org, p_kind, p_cookie_hash, p_csrf_hash, p_mfa_verified, p_ip, p_user_agent, p_expires_at);
  IF p_refresh_hash IS NOT NULL THEN
    INSERT INTO refresh_tokens (id, session_id, user_id, token_hash, parent_id, expires_at)
    VALUES (p_refresh_id, p_session, p_user, p_refresh_hash, NULL, p_expires_at);
  END IF;
  UPDATE users SET last_login_at = now()
  WHERE id = p_user AND (last_login_at IS NULL OR last_login_at < now() - interval '1 minute');
  IF p_org IS NOT NULL AND p_login_event IS NOT NULL THEN
    INSERT INTO domain_events (org_id, id, type, actor_type, actor_id, payload)
    VALUES (p_org, p_login_event, 'security.login_succeeded', 'user', p_user,
      jsonb_build_object('id', p_user, 'sessionId', p_session, 'ip', p_ip, 'userAgent', p_user_agent));
  END IF;
  -- The same row AuditService.record writes; seq, prev_hash and hash are set by the chain trigger.
  INSERT INTO audit_events (org_id, id, seq, created_at, actor_type, actor_id, actor_label, action, outcome,
    resource_type, resource_id, changes, metadata, ip, user_agent, request_id, prev_hash, hash)
  VALUES (coalesce(p_org, bul_platform_org()), p_event_id, 0, now(), 'user', p_user, p_email, 'auth.login',
    'success', 'session', p_session::text, NULL, p_event_metadata, p_ip, p_user_agent, p_request_id, '', '');
END $$;
REVOKE ALL ON FUNCTION bul_start_login_session(uuid, uuid, text, uuid, text, text, text, boolean, text, text,
  timestamptz, uuid, text, uuid, jsonb, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_start_login_session(uuid, uuid, text, uuid, text, text, text, boolean, text, text,
  timestamptz, uuid, text, uuid, jsonb, text, uuid) TO bul_runtime;

-- The dashboard's account figures for the caller's context: active members (users, platform-wide),
-- how many have MFA on, and the sessions neither revoked nor expired. Sessions are rows of their
-- users (row-level security per user), hence SECURITY DEFINER; the platform figures (the nil
-- organization's context) need a super admin.
CREATE FUNCTION bul_security_account_stats()
RETURNS TABLE (members bigint, members_with_mfa bigint, active_sessions bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE o uuid := bul_current_org();
BEGIN
  IF o IS NULL THEN
    RAISE EXCEPTION 'no organization in context' USING ERRCODE = '42501';
  END IF;
  IF o = bul_platform_org() THEN
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = bul_current_user() AND u.is_super_admin) THEN
      RAISE EXCEPTION 'platform figures need a super admin' USING ERRCODE = '42501';
    END IF;
    RETURN QUERY SELECT
      (SELECT count(*) FROM users u WHERE u.status = 'active'),
      (SELECT count(*) FROM users u WHERE u.status = 'active' AND u.mfa_enabled),
      (SELECT count(*) FROM sessions s WHERE s.revoked_at IS NULL AND s.expires_at > now());
  ELSE
    RETURN QUERY SELECT
      (SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = o AND m.status = 'active' AND u.status = 'active'),
      (SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.org_id = o AND m.status = 'active' AND u.status = 'active' AND u.mfa_enabled),
      (SELECT count(*) FROM sessions s WHERE s.org_id = o AND s.revoked_at IS NULL AND s.expires_at > now());
  END IF;
END $$;
REVOKE ALL ON FUNCTION bul_security_account_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_security_account_stats() TO bul_runtime;
