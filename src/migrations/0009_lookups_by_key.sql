-- The per-request authorization lookup and the login lookup read each row by its key, whatever the
-- table statistics say.
--
-- Why: plpgsql keeps a statement's plan for the connection's lifetime, until the statistics of a
-- table it reads change (0008 has the same story for the audit sealer). A connection that planned
-- these statements while the tables were new and never analysed (a fresh installation, before
-- autovacuum's first ANALYZE) kept plans that read far more than the rows they need once the tables
-- grew:
--   - bul_auth_by_session found the session through sessions_user_idx (user_id, created_at): every
--     authenticated request read all of the user's sessions;
--   - bul_auth_payload joined the membership's role by reading every role of the organization
--     through roles_name_key (org_id, lower(name)), on every request;
--   - bul_user_organizations (inside bul_login_lookup) read the whole organizations table and every
--     role of each of the user's organizations, on every login.
-- test/lookup-plans.test.ts has the case: with 20,001 sessions of the user, 3,001 organizations and
-- 306 roles in the user's, a request read 20,311 rows and a login 3,307; now 6 and 4.
-- The rewrite leaves no plan but the right one: the session is read by id alone (its user is
-- compared afterwards), and the role and the organization are correlated sub-selects on their
-- primary keys, evaluated once per membership (OFFSET 0 keeps the planner from turning them back
-- into joins it could start from the other side). Same results.

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
    -- A membership always has its role (foreign key), so the result is the join's.
    'membership', (SELECT jsonb_build_object('id', m.id, 'status', m.status, 'departmentId', m.department_id)
                          || (SELECT jsonb_build_object('roleId', r.id, 'roleKey', r.key, 'roleName', r.name,
                                                        'permissions', to_jsonb(r.permissions))
                              FROM roles r WHERE r.org_id = m.org_id AND r.id = m.role_id)
                   FROM memberships m
                   WHERE m.org_id = p_org AND m.user_id = p_user)
  );
END $$;

CREATE OR REPLACE FUNCTION bul_auth_by_session(p_session uuid, p_user uuid, p_org uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s sessions;
BEGIN
  -- By id alone: with `AND user_id = p_user` a plan could use sessions_user_idx instead.
  SELECT * INTO s FROM sessions WHERE id = p_session;
  IF NOT FOUND OR s.user_id IS DISTINCT FROM p_user THEN
    RETURN NULL;
  END IF;
  RETURN bul_auth_payload(s.user_id, coalesce(p_org, s.org_id)) || jsonb_build_object('session',
           jsonb_build_object('id', s.id, 'kind', s.kind, 'orgId', s.org_id, 'mfaVerified', s.mfa_verified,
             'expiresAt', s.expires_at, 'lastSeenAt', s.last_seen_at, 'revoked', s.revoked_at IS NOT NULL, 'csrfHash', s.csrf_hash));
END $$;

CREATE OR REPLACE FUNCTION bul_user_organizations(p_user uuid)
RETURNS TABLE (org_id uuid, name text, subdomain text, org_status text, require_mfa boolean,
               membership_id uuid, membership_status text, role_id uuid, role_key text, role_name text, ip_rules jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT o.id, o.name, o.subdomain, o.status, o.require_mfa, m.id, m.status, r.id, r.key, r.name,
         coalesce((SELECT jsonb_agg(jsonb_build_object('cidr', i.cidr::text, 'action', i.action))
                   FROM ip_rules i WHERE i.org_id = o.id), '[]'::jsonb)
  FROM memberships m
  CROSS JOIN LATERAL (SELECT * FROM organizations WHERE organizations.id = m.org_id OFFSET 0) o
  CROSS JOIN LATERAL (SELECT * FROM roles WHERE roles.org_id = m.org_id AND roles.id = m.role_id OFFSET 0) r
  WHERE m.user_id = p_user
  ORDER BY o.name, o.id;
END $$;
