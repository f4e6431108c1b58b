-- Alerts (src/modules/alerts, issue 17 L1-L2): threshold rules over the monitoring metrics, per
-- organization and platform-wide, the alerts they raise with their lifecycle (pending → firing →
-- acknowledged → resolved), the history of every transition, and silences (a rule muted until a
-- time). Tenant tables like the others: primary key (org_id, ...), row-level security on
-- app.org_id. Platform-wide rules and alerts live under the nil organization (bul_platform_org()),
-- so only the platform context (app.org_id = nil, super admins and the evaluator) reads them. No
-- foreign key to organizations, since the nil organization is not one: a deleted organization's
-- rows go with it through the trigger at the end.

CREATE TABLE alert_rules (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  type text NOT NULL CHECK (type IN ('performance', 'security', 'system', 'business', 'compliance')),
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'error', 'critical')),
  -- [{ "metric", "labels"?, "operator": gt|lt|eq|gte|lte|contains, "threshold", "forMinutes" }]
  conditions jsonb NOT NULL CHECK (jsonb_typeof(conditions) = 'array' AND jsonb_array_length(conditions) BETWEEN 1 AND 10),
  match text NOT NULL DEFAULT 'all' CHECK (match IN ('all', 'any')),
  -- Due at every tick whose epoch second is a multiple of it (no bookkeeping row per evaluation).
  evaluate_every_seconds integer NOT NULL CHECK (evaluate_every_seconds BETWEEN 15 AND 86400 AND evaluate_every_seconds % 15 = 0),
  cooldown_minutes integer NOT NULL CHECK (cooldown_minutes BETWEEN 1 AND 10080),
  -- Notification channels and recipients (the notifications module's shapes), carried by the events.
  channels text[] NOT NULL DEFAULT '{in_app}' CHECK (cardinality(channels) BETWEEN 1 AND 9),
  recipients jsonb NOT NULL DEFAULT '[]',
  enabled boolean NOT NULL DEFAULT true,
  -- The built-in rule this row is (installed for every organization and the platform, tunable,
  -- never overwritten: only missing keys are inserted); NULL for a rule of one's own.
  builtin_key text,
  -- Silence: no notification of this rule's alerts until then (the alerts still open and close).
  silenced_until timestamptz,
  -- Cooldown: no new alert of this rule before then (set when one that fired resolves).
  cooldown_until timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, builtin_key)
);
CREATE INDEX alert_rules_enabled_idx ON alert_rules (org_id, evaluate_every_seconds) WHERE enabled;

CREATE TABLE alerts (
  org_id uuid NOT NULL,
  id uuid NOT NULL,
  rule_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'firing', 'acknowledged', 'resolved')),
  severity text NOT NULL,
  type text NOT NULL,
  title text NOT NULL,
  -- The value that breached (the first condition that did), and every condition's last reading.
  value double precision,
  details jsonb NOT NULL DEFAULT '{}',
  started_at timestamptz NOT NULL,
  fired_at timestamptz,
  acknowledged_at timestamptz,
  acknowledged_by uuid,
  ack_comment text CHECK (length(ack_comment) <= 2000),
  resolved_at timestamptz,
  resolved_by uuid,
  resolution text CHECK (resolution IN ('auto', 'manual', 'cleared')),
  severity_rank smallint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, rule_id) REFERENCES alert_rules (org_id, id) ON DELETE CASCADE
);
-- At most one open alert per rule: the evaluator's lookup and its guard against a double insert.
CREATE UNIQUE INDEX alerts_open_per_rule ON alerts (org_id, rule_id) WHERE status <> 'resolved';
-- Lists: newest first, and active first by severity (executive view).
CREATE INDEX alerts_list_idx ON alerts (org_id, id DESC);
CREATE INDEX alerts_active_idx ON alerts (org_id, severity_rank, id DESC) WHERE status IN ('firing', 'acknowledged');

-- Every transition of an alert, in order: who (NULL: the evaluator), when, the value, a comment.
CREATE TABLE alert_transitions (
  org_id uuid NOT NULL,
  alert_id uuid NOT NULL,
  id uuid NOT NULL,
  from_status text,
  to_status text NOT NULL CHECK (to_status IN ('pending', 'firing', 'acknowledged', 'resolved', 'silenced')),
  at timestamptz NOT NULL,
  actor_id uuid,
  value double precision,
  comment text CHECK (length(comment) <= 2000),
  PRIMARY KEY (org_id, alert_id, id),
  FOREIGN KEY (org_id, alert_id) REFERENCES alerts (org_id, id) ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['alert_rules', 'alerts', 'alert_transitions'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org()) WITH CHECK (org_id = bul_current_org())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
  END LOOP;
END $$;
CREATE TRIGGER alert_rules_touch BEFORE UPDATE ON alert_rules FOR EACH ROW EXECUTE FUNCTION bul_touch();
CREATE TRIGGER alerts_touch BEFORE UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION bul_touch();

-- The evaluator's view across tenants: the organizations that have enabled rules due at this tick
-- (a narrow door: ids only; each organization is then evaluated in its own tenant transaction).
CREATE FUNCTION bul_alert_due_orgs(p_tick_seconds bigint) RETURNS TABLE (org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT DISTINCT r.org_id FROM alert_rules r
  WHERE r.enabled AND p_tick_seconds % r.evaluate_every_seconds = 0
  ORDER BY r.org_id
$$;
REVOKE ALL ON FUNCTION bul_alert_due_orgs(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_alert_due_orgs(bigint) TO bul_runtime;

-- The organizations, and the platform, that lack some of their built-in rules (installed at start).
CREATE FUNCTION bul_alert_orgs_to_install(p_org_keys text[], p_platform_keys text[]) RETURNS TABLE (org_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id FROM (SELECT id, p_org_keys AS keys FROM organizations
                    UNION ALL SELECT bul_platform_org(), p_platform_keys) o
  WHERE (SELECT count(*) FROM alert_rules r WHERE r.org_id = o.id AND r.builtin_key = ANY(o.keys))
        < cardinality(o.keys)
  ORDER BY o.id
$$;
REVOKE ALL ON FUNCTION bul_alert_orgs_to_install(text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_alert_orgs_to_install(text[], text[]) TO bul_runtime;

-- A deleted organization takes its rules, alerts and their history along.
CREATE FUNCTION bul_alerts_drop_org() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM alert_rules WHERE org_id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER organizations_drop_alerts AFTER DELETE ON organizations
  FOR EACH ROW EXECUTE FUNCTION bul_alerts_drop_org();

-- Platform-wide alerts notify the super admins, each in their home organization (the oldest
-- active membership), through that organization's notification rules and channels.
CREATE FUNCTION bul_super_admin_homes() RETURNS TABLE (org_id uuid, user_ids uuid[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT home.org_id, array_agg(home.user_id ORDER BY home.user_id) FROM (
    SELECT DISTINCT ON (u.id) u.id AS user_id, m.org_id
    FROM users u JOIN memberships m ON m.user_id = u.id AND m.status = 'active'
    JOIN organizations o ON o.id = m.org_id AND o.status = 'active'
    WHERE u.is_super_admin AND u.status = 'active'
    ORDER BY u.id, m.created_at, m.org_id) home
  GROUP BY home.org_id ORDER BY home.org_id
$$;
REVOKE ALL ON FUNCTION bul_super_admin_homes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_super_admin_homes() TO bul_runtime;

-- The new permissions reach the built-in roles of organizations that exist already.
UPDATE roles SET permissions = permissions || ARRAY['alerts:read', 'alerts:manage']
  WHERE key = 'org_admin' AND NOT permissions @> ARRAY['alerts:manage'];
UPDATE roles SET permissions = permissions || ARRAY['alerts:read']
  WHERE key IN ('manager', 'analyst') AND NOT permissions @> ARRAY['alerts:read'];
