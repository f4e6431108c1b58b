-- BUL foundation: tenancy, identity, access control, audit.
-- Conventions (ARCHITECTURE.md): tenant tables have org_id and primary key (org_id, id); foreign keys
-- between tenant tables include org_id; row-level security compares org_id with app.org_id, which
-- the application sets per transaction. The application connects as a member of bul_runtime, which
-- owns nothing and gets exactly the privileges granted here.

DO $$
BEGIN
  CREATE ROLE bul_runtime NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; -- shared by databases on one server
END $$;

GRANT USAGE ON SCHEMA public TO bul_runtime;
GRANT SELECT ON bul_schema_migrations TO bul_runtime;

-- Request context, set with set_config(..., true) at the start of each transaction.
CREATE FUNCTION bul_current_org() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$;
CREATE FUNCTION bul_current_user() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
  AS $$ SELECT nullif(current_setting('app.user_id', true), '')::uuid $$;
-- Platform-level rows (global IP rules, platform audit events) live under the nil organization id.
CREATE FUNCTION bul_platform_org() RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT '00000000-0000-0000-0000-000000000000'::uuid $$;

-- Every versioned row: updated_at and version move on each UPDATE, whoever forgets to.
CREATE FUNCTION bul_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  NEW.version := OLD.version + 1;
  RETURN NEW;
END $$;

---------------------------------------------------------------------------------------------------
-- Plans (global catalogue)
CREATE TABLE plans (
  id text PRIMARY KEY,
  name text NOT NULL,
  max_users integer CHECK (max_users > 0),                                -- NULL: unlimited
  max_api_requests_per_month bigint CHECK (max_api_requests_per_month > 0),
  max_storage_bytes bigint CHECK (max_storage_bytes > 0),
  price_minor integer NOT NULL DEFAULT 0 CHECK (price_minor >= 0),
  currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  sort_order integer NOT NULL DEFAULT 0
);
INSERT INTO plans (id, name, max_users, max_api_requests_per_month, max_storage_bytes, price_minor, sort_order) VALUES
  ('free', 'Free', 5, 100000, 1073741824, 0, 1),
  ('team', 'Team', 25, 1000000, 10737418240, 4900, 2),
  ('business', 'Business', 250, 10000000, 107374182400, 29900, 3),
  ('enterprise', 'Enterprise', NULL, NULL, NULL, 0, 4);
GRANT SELECT ON plans TO bul_runtime;

---------------------------------------------------------------------------------------------------
-- Organizations: the tenant root; a row is visible only inside its own context.
CREATE TABLE organizations (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  subdomain text NOT NULL UNIQUE CHECK (subdomain ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  plan_id text NOT NULL REFERENCES plans (id),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  require_mfa boolean NOT NULL DEFAULT false,
  timezone text NOT NULL DEFAULT 'UTC',
  locale text NOT NULL DEFAULT 'en',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION bul_touch();
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY organizations_tenant ON organizations
  USING (id = bul_current_org()) WITH CHECK (id = bul_current_org());
GRANT SELECT, INSERT, UPDATE ON organizations TO bul_runtime;

---------------------------------------------------------------------------------------------------
-- Users: global (one person may belong to several organizations). A user row is visible to the
-- user and to the organizations the user belongs to; only the user may change it. The super-admin
-- flag cannot be written by the application role at all (column privileges): `bul admin create`.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  password_hash text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  is_super_admin boolean NOT NULL DEFAULT false,
  mfa_enabled boolean NOT NULL DEFAULT false,
  mfa_secret_sealed text,
  mfa_pending_secret_sealed text,
  mfa_last_time_step bigint,
  locale text,
  last_login_at timestamptz,
  password_changed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION bul_touch();
GRANT SELECT ON users TO bul_runtime;
GRANT INSERT (id, email, name, password_hash, status, locale, password_changed_at) ON users TO bul_runtime;
GRANT UPDATE (email, name, password_hash, status, mfa_enabled, mfa_secret_sealed, mfa_pending_secret_sealed,
  mfa_last_time_step, locale, last_login_at, password_changed_at) ON users TO bul_runtime;

---------------------------------------------------------------------------------------------------
-- Roles: built-in ones are copied into each organization (key set, permissions come from the
-- code's catalogue so upgrades reach them); custom ones carry their own permission list.
CREATE TABLE roles (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  key text CHECK (key ~ '^[a-z_]+$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
  permissions text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, key)
);
CREATE UNIQUE INDEX roles_name_key ON roles (org_id, lower(name));

CREATE TABLE departments (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  parent_id uuid,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, parent_id) REFERENCES departments (org_id, id),
  CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE UNIQUE INDEX departments_sibling_name_key ON departments (org_id, coalesce(parent_id, bul_platform_org()), lower(name));
CREATE INDEX departments_parent_idx ON departments (org_id, parent_id);

CREATE TABLE memberships (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role_id uuid NOT NULL,
  department_id uuid,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, user_id),
  FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id),
  FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id) ON DELETE SET NULL (department_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);
CREATE INDEX memberships_role_idx ON memberships (org_id, role_id);
CREATE INDEX memberships_department_idx ON memberships (org_id, department_id);

CREATE TABLE invitations (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  role_id uuid NOT NULL,
  department_id uuid,
  token_hash text NOT NULL UNIQUE,
  invited_by uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, role_id) REFERENCES roles (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id) ON DELETE SET NULL (department_id)
);
CREATE UNIQUE INDEX invitations_open_email_key ON invitations (org_id, lower(email))
  WHERE accepted_at IS NULL AND revoked_at IS NULL;

CREATE TABLE api_keys (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  scopes text[] NOT NULL,
  expires_at timestamptz,
  last_used_at timestamptz,
  last_used_ip text,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE ip_rules (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  cidr cidr NOT NULL,
  action text NOT NULL CHECK (action IN ('allow', 'deny')),
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, cidr, action)
);

-- Monthly (or running) usage per organization: API requests per month, storage in bytes.
CREATE TABLE usage_counters (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  metric text NOT NULL CHECK (metric IN ('api_requests', 'storage_bytes')),
  period date NOT NULL,           -- first day of the month; 1970-01-01 for running totals
  value bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, metric, period)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['roles', 'departments', 'memberships', 'invitations', 'api_keys', 'ip_rules', 'usage_counters'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org()) WITH CHECK (org_id = bul_current_org())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
    IF t <> 'usage_counters' THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION bul_touch()', t || '_touch', t);
    END IF;
  END LOOP;
END $$;

-- Users are visible to themselves and to the organizations they belong to (see above).
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_visible ON users FOR SELECT USING (
  id = bul_current_user()
  OR EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.org_id = bul_current_org())
);
CREATE POLICY users_insert_self ON users FOR INSERT WITH CHECK (id = bul_current_user());
CREATE POLICY users_update_self ON users FOR UPDATE USING (id = bul_current_user()) WITH CHECK (id = bul_current_user());

---------------------------------------------------------------------------------------------------
-- Sessions (browser cookie or token family), refresh tokens and MFA recovery codes belong to a user.
CREATE TABLE sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  org_id uuid REFERENCES organizations (id) ON DELETE SET NULL,
  kind text NOT NULL CHECK (kind IN ('cookie', 'token')),
  cookie_hash text UNIQUE,
  csrf_hash text,
  mfa_verified boolean NOT NULL DEFAULT false,
  ip text,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX sessions_user_idx ON sessions (user_id, created_at DESC);

CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash text NOT NULL UNIQUE,
  parent_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE mfa_recovery_codes (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mfa_recovery_codes_user_idx ON mfa_recovery_codes (user_id);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['sessions', 'refresh_tokens', 'mfa_recovery_codes'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (user_id = bul_current_user()) WITH CHECK (user_id = bul_current_user())', t || '_owner', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
  END LOOP;
END $$;

-- JWT signing keys (Ed25519); private halves sealed with the master key.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  public_jwk jsonb NOT NULL,
  private_sealed text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retire_at timestamptz NOT NULL,    -- stops signing
  expires_at timestamptz NOT NULL    -- leaves the JWKS (retire_at + longest access-token lifetime)
);
GRANT SELECT, INSERT ON signing_keys TO bul_runtime;

-- Global IP rules: read by every request, written only in the platform context (super admins).
CREATE TABLE platform_ip_rules (
  id uuid PRIMARY KEY,
  cidr cidr NOT NULL,
  action text NOT NULL CHECK (action IN ('allow', 'deny')),
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  UNIQUE (cidr, action)
);
ALTER TABLE platform_ip_rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY platform_ip_rules_read ON platform_ip_rules FOR SELECT USING (true);
CREATE POLICY platform_ip_rules_write ON platform_ip_rules FOR ALL
  USING (bul_current_org() = bul_platform_org()) WITH CHECK (bul_current_org() = bul_platform_org());
GRANT SELECT, INSERT, UPDATE, DELETE ON platform_ip_rules TO bul_runtime;

-- Idempotency-Key on POST: the first response to a key is kept for a day and replayed to retries
-- of the same request by the same caller (user or API key).
CREATE TABLE idempotency_keys (
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  principal text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  status integer,                       -- NULL while the first request is still running
  content_type text,
  body text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (user_id, principal, key)
);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY idempotency_keys_owner ON idempotency_keys
  USING (user_id = bul_current_user()) WITH CHECK (user_id = bul_current_user());
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO bul_runtime;

-- Shared rate-limit counters when neither Redis nor a single process is available
-- (shape required by rate-limiter-flexible's RateLimiterPostgres).
CREATE TABLE rate_limits (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits TO bul_runtime;

---------------------------------------------------------------------------------------------------
-- Audit trail. Each organization's events form a hash chain: the trigger below numbers the event
-- (seq, gapless per organization), links it to the previous event's hash and hashes it, holding
-- the chain head's row lock until commit so concurrent writers queue. The application role may
-- only INSERT and SELECT here, and cannot touch the chain heads at all.
CREATE TABLE audit_events (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  seq bigint NOT NULL,
  created_at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system', 'anonymous')),
  actor_id uuid,
  actor_label text,
  action text NOT NULL,
  outcome text NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'failure')),
  resource_type text,
  resource_id text,
  changes jsonb,
  metadata jsonb,
  ip text,
  user_agent text,
  request_id text,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, seq)
);
CREATE INDEX audit_events_actor_idx ON audit_events (org_id, actor_id, seq);
CREATE INDEX audit_events_action_idx ON audit_events (org_id, action, seq);
CREATE INDEX audit_events_resource_idx ON audit_events (org_id, resource_type, seq);
CREATE INDEX audit_events_time_idx ON audit_events (org_id, created_at);

CREATE TABLE audit_chain_heads (
  org_id uuid PRIMARY KEY,
  last_seq bigint NOT NULL,
  last_hash text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The canonical text of an event is a JSON array of its fields (jsonb output is deterministic).
CREATE FUNCTION bul_audit_hash(e audit_events) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(jsonb_build_array(
    e.prev_hash, e.org_id, e.id, e.seq,
    to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.actor_type, e.actor_id, e.actor_label, e.action, e.outcome, e.resource_type, e.resource_id,
    e.changes, e.metadata, e.ip, e.user_agent, e.request_id
  )::text, 'UTF8')), 'hex')
$$;

CREATE FUNCTION bul_audit_chain() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE head audit_chain_heads;
BEGIN
  SELECT * INTO head FROM audit_chain_heads WHERE org_id = NEW.org_id FOR UPDATE;
  IF NOT FOUND THEN -- the organization's first event (two first events race: one waits, then finds it)
    INSERT INTO audit_chain_heads (org_id, last_seq, last_hash) VALUES (NEW.org_id, 0, repeat('0', 64))
      ON CONFLICT (org_id) DO NOTHING;
    SELECT * INTO head FROM audit_chain_heads WHERE org_id = NEW.org_id FOR UPDATE;
  END IF;
  NEW.seq := head.last_seq + 1;
  NEW.prev_hash := head.last_hash;
  NEW.created_at := clock_timestamp();
  NEW.hash := bul_audit_hash(NEW);
  UPDATE audit_chain_heads SET last_seq = NEW.seq, last_hash = NEW.hash, updated_at = now()
    WHERE org_id = NEW.org_id;
  RETURN NEW;
END $$;
CREATE TRIGGER audit_events_chain BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION bul_audit_chain();

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_events_read ON audit_events FOR SELECT USING (org_id = bul_current_org());
CREATE POLICY audit_events_write ON audit_events FOR INSERT
  WITH CHECK (org_id = bul_current_org() OR org_id = bul_platform_org());
GRANT SELECT, INSERT ON audit_events TO bul_runtime;

-- Walks one organization's chain and reports the first event that breaks it.
CREATE FUNCTION bul_audit_verify(p_org uuid)
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
           FROM audit_events e WHERE e.org_id = p_org ORDER BY e.seq LOOP
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
REVOKE ALL ON FUNCTION bul_audit_verify(uuid) FROM PUBLIC;

-- The application may verify the chain of the organization it is acting for.
CREATE FUNCTION bul_audit_verify_current()
RETURNS TABLE (ok boolean, checked bigint, bad_seq bigint, bad_id uuid, problem text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM bul_audit_verify(bul_current_org()) WHERE bul_current_org() IS NOT NULL
$$;
REVOKE ALL ON FUNCTION bul_audit_verify_current() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_audit_verify_current() TO bul_runtime;

---------------------------------------------------------------------------------------------------
-- Narrow doors through row-level security, for the moments before a tenant context exists.
-- Each returns only what its caller needs, and runs as the owner.

-- The organizations of a user, with the role in each (login, organization switcher). Called only
-- with the id of a user who has just authenticated.
CREATE FUNCTION bul_user_organizations(p_user uuid)
RETURNS TABLE (org_id uuid, name text, subdomain text, org_status text, require_mfa boolean,
               membership_id uuid, membership_status text, role_id uuid, role_key text, role_name text, ip_rules jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id, o.name, o.subdomain, o.status, o.require_mfa, m.id, m.status, r.id, r.key, r.name,
         coalesce((SELECT jsonb_agg(jsonb_build_object('cidr', i.cidr::text, 'action', i.action))
                   FROM ip_rules i WHERE i.org_id = o.id), '[]'::jsonb)
  FROM memberships m
  JOIN organizations o ON o.id = m.org_id
  JOIN roles r ON r.org_id = m.org_id AND r.id = m.role_id
  WHERE m.user_id = p_user
  ORDER BY o.name, o.id
$$;

-- Login: the account behind an e-mail address, with its organizations (one round trip).
CREATE FUNCTION bul_login_lookup(p_email text)
RETURNS TABLE (id uuid, email text, name text, password_hash text, status text, is_super_admin boolean,
               mfa_enabled boolean, organizations jsonb)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT u.id, u.email, u.name, u.password_hash, u.status, u.is_super_admin, u.mfa_enabled,
         coalesce((SELECT jsonb_agg(to_jsonb(o)) FROM bul_user_organizations(u.id) o), '[]'::jsonb)
  FROM users u WHERE lower(u.email) = lower(p_email)
$$;

-- Tenant resolution from a subdomain.
CREATE FUNCTION bul_org_by_subdomain(p_subdomain text) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT id FROM organizations WHERE subdomain = lower(p_subdomain)
$$;

-- Whether a subdomain is taken (registration answers 409 before doing any work).
CREATE FUNCTION bul_subdomain_taken(p_subdomain text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM organizations WHERE subdomain = lower(p_subdomain))
$$;

-- Invitation acceptance: which organization an invitation token belongs to.
CREATE FUNCTION bul_invitation_by_token(p_token_hash text) RETURNS TABLE (org_id uuid, id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT org_id, id FROM invitations WHERE token_hash = p_token_hash
$$;

-- Refresh: the token family (session), user and current organization of a refresh token.
CREATE FUNCTION bul_refresh_token_owner(p_token_hash text) RETURNS TABLE (user_id uuid, session_id uuid, org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT t.user_id, t.session_id, s.org_id FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
  WHERE t.token_hash = p_token_hash
$$;

-- Everything one request needs to authorize, in one round trip: the user, the session, the
-- membership and role in the organization, the organization's plan, usage and IP rules.
CREATE FUNCTION bul_auth_payload(p_user uuid, p_org uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT jsonb_build_object(
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
  )
$$;

CREATE FUNCTION bul_auth_by_session(p_session uuid, p_user uuid, p_org uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT bul_auth_payload(s.user_id, coalesce(p_org, s.org_id)) || jsonb_build_object('session',
           jsonb_build_object('id', s.id, 'kind', s.kind, 'orgId', s.org_id, 'mfaVerified', s.mfa_verified,
             'expiresAt', s.expires_at, 'lastSeenAt', s.last_seen_at, 'revoked', s.revoked_at IS NOT NULL, 'csrfHash', s.csrf_hash))
  FROM sessions s WHERE s.id = p_session AND s.user_id = p_user
$$;

CREATE FUNCTION bul_auth_by_cookie(p_cookie_hash text, p_org uuid) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT bul_auth_by_session(s.id, s.user_id, p_org) FROM sessions s WHERE s.cookie_hash = p_cookie_hash
$$;

CREATE FUNCTION bul_auth_by_api_key(p_key_hash text) RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT bul_auth_payload(k.user_id, k.org_id) || jsonb_build_object('apiKey',
           jsonb_build_object('id', k.id, 'orgId', k.org_id, 'name', k.name, 'scopes', to_jsonb(k.scopes),
             'expiresAt', k.expires_at, 'revoked', k.revoked_at IS NOT NULL, 'lastUsedAt', k.last_used_at))
  FROM api_keys k WHERE k.key_hash = p_key_hash
$$;

-- API keys record when they were last used; the key's own organization context is not set on
-- the hot path, so this narrow door does the write (at most once a minute per key).
CREATE FUNCTION bul_touch_api_key(p_id uuid, p_ip text) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE api_keys SET last_used_at = now(), last_used_ip = p_ip
  WHERE id = p_id AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
$$;

-- Platform administration (super admins only): the organizations of the whole installation.
CREATE FUNCTION bul_platform_organizations()
RETURNS TABLE (id uuid, name text, subdomain text, plan_id text, status text, members bigint, created_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = bul_current_user() AND u.is_super_admin) THEN
    RAISE EXCEPTION 'platform administration needs a super admin' USING ERRCODE = '42501';
  END IF;
  RETURN QUERY SELECT o.id, o.name, o.subdomain, o.plan_id, o.status,
    (SELECT count(*) FROM memberships m WHERE m.org_id = o.id), o.created_at
  FROM organizations o ORDER BY o.created_at, o.id;
END $$;

-- Housekeeping (the worker's hourly job): ended sessions and their refresh tokens after 30 days,
-- expired rate-limit counters. Runs across users, hence the narrow door.
CREATE FUNCTION bul_cleanup_expired() RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE sessions_deleted bigint; limits_deleted bigint;
BEGIN
  DELETE FROM sessions WHERE coalesce(revoked_at, expires_at) < now() - interval '30 days';
  GET DIAGNOSTICS sessions_deleted = ROW_COUNT;
  DELETE FROM rate_limits WHERE expire IS NOT NULL AND expire < (extract(epoch FROM now()) * 1000)::bigint;
  GET DIAGNOSTICS limits_deleted = ROW_COUNT;
  DELETE FROM idempotency_keys WHERE expires_at < now();
  RETURN jsonb_build_object('sessions', sessions_deleted, 'rateLimits', limits_deleted);
END $$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['bul_cleanup_expired()', 'bul_login_lookup(text)', 'bul_user_organizations(uuid)', 'bul_org_by_subdomain(text)',
    'bul_subdomain_taken(text)', 'bul_invitation_by_token(text)', 'bul_refresh_token_owner(text)',
    'bul_auth_by_session(uuid,uuid,uuid)', 'bul_auth_by_cookie(text,uuid)',
    'bul_auth_by_api_key(text)', 'bul_touch_api_key(uuid,text)', 'bul_platform_organizations()'] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO bul_runtime', f);
  END LOOP;
END $$;
