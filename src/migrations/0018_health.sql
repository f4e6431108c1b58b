-- Health checks (docs/health.md): every HEALTH_CHECK_SECONDS one worker process checks the
-- database, Redis, the job queue, the disk and each organization's enabled notification channels
-- (src/modules/system/health-runner.ts). Platform checks are rows of the nil organization
-- (bul_platform_org()); a channel's check is a row of the channel's organization.
--
-- Row-level security: an organization reads its own rows; the platform context (the nil
-- organization: the health loop, super admins) reads and writes every row, so one transaction per
-- tick writes all results and a super admin sees every organization's channels.

-- The latest result of each check, and since when its status is what it is.
CREATE TABLE health_checks (
  org_id uuid NOT NULL,
  -- 'database', 'redis', 'job_queue', 'disk', or 'channel:<channel id>'.
  check_key text NOT NULL CHECK (length(check_key) BETWEEN 1 AND 100),
  kind text NOT NULL CHECK (kind IN ('database', 'redis', 'job_queue', 'disk', 'notification_channel')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status text NOT NULL CHECK (status IN ('ok', 'degraded', 'down')),
  latency_ms integer NOT NULL CHECK (latency_ms >= 0),
  detail text NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
  checked_at timestamptz NOT NULL,
  -- When the status last changed (the first result counts as a change).
  status_since timestamptz NOT NULL,
  PRIMARY KEY (org_id, check_key)
);

-- Every result, kept HEALTH_RETENTION_DAYS (pruned by the loop).
CREATE TABLE health_check_results (
  org_id uuid NOT NULL,
  check_key text NOT NULL,
  checked_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('ok', 'degraded', 'down')),
  latency_ms integer NOT NULL CHECK (latency_ms >= 0),
  detail text NOT NULL DEFAULT '' CHECK (length(detail) <= 500),
  PRIMARY KEY (org_id, check_key, checked_at)
);
CREATE INDEX health_check_results_at ON health_check_results (checked_at);

-- Results counted per check and hour: uptime over 30 days reads 720 rows per check, not 86,400.
CREATE TABLE health_check_hours (
  org_id uuid NOT NULL,
  check_key text NOT NULL,
  hour timestamptz NOT NULL,
  ok integer NOT NULL DEFAULT 0,
  degraded integer NOT NULL DEFAULT 0,
  down integer NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, check_key, hour)
);
CREATE INDEX health_check_hours_hour ON health_check_hours (hour);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['health_checks', 'health_check_results', 'health_check_hours'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org() OR bul_current_org() = bul_platform_org())'
      ' WITH CHECK (org_id = bul_current_org() OR bul_current_org() = bul_platform_org())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
  END LOOP;
END $$;

-- The enabled notification channels of active organizations, for the health loop's probes (one
-- read per round, whatever the number of organizations). Rows whole, as bul_notifications_claim
-- answers them: the credentials stay sealed under each channel's own context.
CREATE FUNCTION bul_health_channels() RETURNS SETOF notification_channels
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT c.* FROM notification_channels c
  JOIN organizations o ON o.id = c.org_id AND o.status = 'active'
  WHERE c.enabled
  ORDER BY c.org_id, c.kind, c.position
$$;
REVOKE ALL ON FUNCTION bul_health_channels() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_health_channels() TO bul_runtime;

-- Reading health: org admins (the built-in role), and the platform role (super admins) holds every permission.
UPDATE roles SET permissions = permissions || ARRAY['system:health']
  WHERE key = 'org_admin' AND NOT ('system:health' = ANY (permissions));
