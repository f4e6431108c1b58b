-- Metrics history (src/modules/monitoring, docs/monitoring.md): samples written every
-- MONITOR_SAMPLE_SECONDS by each process's sampler and by other modules (monitoring.record), rolled
-- up to 1 minute and 1 hour by a job, each level kept for its own retention.
--
-- Compact by shape: one row per (organization, metric, labels, source, time), where time is the
-- start of a sample interval; a second report for the same key is merged into the row (counts add,
-- maxima keep the larger, gauges take the later), never a row per event. `labels` is the canonical
-- text `k=v,k=v` (keys sorted; '' for none), `source` the process (host:pid) for readings every
-- process takes, '' for cluster-wide ones. Roll-ups combine the sources first (by the metric's
-- `combine`, which the job passes in) and keep count, sum, min and max per bucket.
--
-- Tenant tables: primary key leads with org_id, row-level security on app.org_id; platform rows
-- live under the nil organization (bul_platform_org()) and so are readable only in the platform
-- context. No foreign key to organizations: the nil organization is not one. Writes, roll-ups and
-- retention span organizations, through the SECURITY DEFINER functions below.

CREATE TABLE monitoring_samples (
  org_id uuid NOT NULL,
  metric text NOT NULL CHECK (length(metric) BETWEEN 1 AND 100),
  labels text NOT NULL DEFAULT '' CHECK (length(labels) <= 200),
  at timestamptz NOT NULL,
  source text NOT NULL DEFAULT '' CHECK (length(source) <= 100),
  value double precision NOT NULL,
  PRIMARY KEY (org_id, metric, labels, at, source)
);
-- Rows arrive in time order: a BRIN index finds the old ones for retention at almost no cost.
CREATE INDEX monitoring_samples_at_brin ON monitoring_samples USING brin (at);

CREATE TABLE monitoring_rollups (
  org_id uuid NOT NULL,
  metric text NOT NULL CHECK (length(metric) BETWEEN 1 AND 100),
  labels text NOT NULL DEFAULT '' CHECK (length(labels) <= 200),
  bucket_seconds integer NOT NULL CHECK (bucket_seconds IN (60, 3600)),
  at timestamptz NOT NULL,
  -- Over the bucket's sample times, each first combined across sources.
  count integer NOT NULL CHECK (count > 0),
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  PRIMARY KEY (org_id, metric, labels, bucket_seconds, at)
);
CREATE INDEX monitoring_rollups_at_brin ON monitoring_rollups USING brin (at);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['monitoring_samples', 'monitoring_rollups'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org()) WITH CHECK (org_id = bul_current_org())', t || '_tenant', t);
  END LOOP;
END $$;
-- Readers go through RLS; every write goes through the functions below.
GRANT SELECT ON monitoring_samples, monitoring_rollups TO bul_runtime;

-- How far each roll-up level is complete: a query reads a level's rows before its mark and the
-- finer level's after it, so no bucket is counted twice or missed. Platform bookkeeping, no org_id.
CREATE TABLE monitoring_rollup_marks (
  bucket_seconds integer PRIMARY KEY CHECK (bucket_seconds IN (60, 3600)),
  rolled_until timestamptz NOT NULL
);
GRANT SELECT ON monitoring_rollup_marks TO bul_runtime;

-- Writes samples of any organization (the sampler's per-organization request counters, other
-- modules' counters). p_combine per row says how a second report of the same key merges.
CREATE FUNCTION bul_monitoring_write(
  p_org uuid[], p_metric text[], p_labels text[], p_at timestamptz[], p_source text[],
  p_value double precision[], p_combine text[]
) RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO monitoring_samples AS s (org_id, metric, labels, at, source, value)
    SELECT o, m, l, a, src, v FROM unnest(p_org, p_metric, p_labels, p_at, p_source, p_value, p_combine)
      AS r(o, m, l, a, src, v, c) WHERE c = 'sum'
  ON CONFLICT (org_id, metric, labels, at, source) DO UPDATE SET value = s.value + EXCLUDED.value;
  INSERT INTO monitoring_samples AS s (org_id, metric, labels, at, source, value)
    SELECT o, m, l, a, src, v FROM unnest(p_org, p_metric, p_labels, p_at, p_source, p_value, p_combine)
      AS r(o, m, l, a, src, v, c) WHERE c = 'max'
  ON CONFLICT (org_id, metric, labels, at, source) DO UPDATE SET value = greatest(s.value, EXCLUDED.value);
  INSERT INTO monitoring_samples AS s (org_id, metric, labels, at, source, value)
    SELECT o, m, l, a, src, v FROM unnest(p_org, p_metric, p_labels, p_at, p_source, p_value, p_combine)
      AS r(o, m, l, a, src, v, c) WHERE c NOT IN ('sum', 'max')
  ON CONFLICT (org_id, metric, labels, at, source) DO UPDATE SET value = EXCLUDED.value;
END $$;

-- Rolls complete minutes (older than p_until, itself a minute boundary) into 1-minute buckets and
-- complete hours of those into 1-hour buckets, from each level's mark on; one caller at a time.
-- Sources are combined per sample time first: sum for p_sum metrics, max for p_max, else avg.
CREATE FUNCTION bul_monitoring_rollup(p_until timestamptz, p_sum text[], p_max text[])
RETURNS TABLE (minutes integer, hours integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  m_from timestamptz;
  m_until timestamptz := date_trunc('minute', p_until);
  h_from timestamptz;
  h_until timestamptz := date_trunc('hour', p_until);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('bul_monitoring_rollup'));
  SELECT rolled_until INTO m_from FROM monitoring_rollup_marks WHERE bucket_seconds = 60;
  IF m_from IS NULL THEN
    SELECT date_trunc('minute', min(at)) INTO m_from FROM monitoring_samples;
  END IF;
  minutes := 0;
  IF m_from IS NOT NULL AND m_from < m_until THEN
    INSERT INTO monitoring_rollups AS r (org_id, metric, labels, bucket_seconds, at, count, sum, min, max)
    SELECT org_id, metric, labels, 60, date_trunc('minute', at), count(*), sum(v), min(v), max(v)
    FROM (
      SELECT org_id, metric, labels, at,
        CASE WHEN metric = ANY (p_sum) THEN sum(value) WHEN metric = ANY (p_max) THEN max(value)
             ELSE avg(value) END AS v
      FROM monitoring_samples WHERE at >= m_from AND at < m_until
      GROUP BY org_id, metric, labels, at
    ) combined
    GROUP BY org_id, metric, labels, date_trunc('minute', at)
    ON CONFLICT (org_id, metric, labels, bucket_seconds, at) DO UPDATE
      SET count = EXCLUDED.count, sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max;
    GET DIAGNOSTICS minutes = ROW_COUNT;
  END IF;
  INSERT INTO monitoring_rollup_marks (bucket_seconds, rolled_until) VALUES (60, m_until)
    ON CONFLICT (bucket_seconds) DO UPDATE SET rolled_until = greatest(monitoring_rollup_marks.rolled_until, EXCLUDED.rolled_until);

  SELECT rolled_until INTO h_from FROM monitoring_rollup_marks WHERE bucket_seconds = 3600;
  IF h_from IS NULL THEN
    SELECT date_trunc('hour', min(at)) INTO h_from FROM monitoring_rollups WHERE bucket_seconds = 60;
  END IF;
  hours := 0;
  IF h_from IS NOT NULL AND h_from < h_until THEN
    INSERT INTO monitoring_rollups AS r (org_id, metric, labels, bucket_seconds, at, count, sum, min, max)
    SELECT org_id, metric, labels, 3600, date_trunc('hour', at), sum(count), sum(sum), min(min), max(max)
    FROM monitoring_rollups WHERE bucket_seconds = 60 AND at >= h_from AND at < h_until
    GROUP BY org_id, metric, labels, date_trunc('hour', at)
    ON CONFLICT (org_id, metric, labels, bucket_seconds, at) DO UPDATE
      SET count = EXCLUDED.count, sum = EXCLUDED.sum, min = EXCLUDED.min, max = EXCLUDED.max;
    GET DIAGNOSTICS hours = ROW_COUNT;
  END IF;
  INSERT INTO monitoring_rollup_marks (bucket_seconds, rolled_until) VALUES (3600, h_until)
    ON CONFLICT (bucket_seconds) DO UPDATE SET rolled_until = greatest(monitoring_rollup_marks.rolled_until, EXCLUDED.rolled_until);
  RETURN NEXT;
END $$;

-- Deletes what each level keeps no longer; raw samples not yet rolled up are kept whatever their age.
CREATE FUNCTION bul_monitoring_prune(p_raw_before timestamptz, p_minute_before timestamptz, p_hour_before timestamptz)
RETURNS TABLE (raw bigint, minute bigint, hour bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  rolled timestamptz := coalesce((SELECT rolled_until FROM monitoring_rollup_marks WHERE bucket_seconds = 60), '-infinity');
  rolled_h timestamptz := coalesce((SELECT rolled_until FROM monitoring_rollup_marks WHERE bucket_seconds = 3600), '-infinity');
BEGIN
  DELETE FROM monitoring_samples WHERE at < least(p_raw_before, rolled);
  GET DIAGNOSTICS raw = ROW_COUNT;
  DELETE FROM monitoring_rollups WHERE bucket_seconds = 60 AND at < least(p_minute_before, rolled_h);
  GET DIAGNOSTICS minute = ROW_COUNT;
  DELETE FROM monitoring_rollups WHERE bucket_seconds = 3600 AND at < p_hour_before;
  GET DIAGNOSTICS hour = ROW_COUNT;
  RETURN NEXT;
END $$;

-- Per active organization, what its plan's quotas are measured on: members, stored bytes and this
-- month's API requests (UTC month, as the usage meter counts), with the plan's limits (NULL: none).
CREATE FUNCTION bul_monitoring_quota_usage(p_period date)
RETURNS TABLE (org_id uuid, users bigint, max_users integer, storage_bytes bigint, max_storage_bytes bigint,
               api_requests bigint, max_api_requests bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id,
    (SELECT count(*) FROM memberships m WHERE m.org_id = o.id),
    p.max_users,
    coalesce((SELECT u.value FROM usage_counters u
              WHERE u.org_id = o.id AND u.metric = 'storage_bytes' AND u.period = DATE '1970-01-01'), 0),
    p.max_storage_bytes,
    coalesce((SELECT u.value FROM usage_counters u
              WHERE u.org_id = o.id AND u.metric = 'api_requests' AND u.period = p_period), 0),
    p.max_api_requests_per_month
  FROM organizations o JOIN plans p ON p.id = o.plan_id
  WHERE o.status = 'active'
$$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'bul_monitoring_write(uuid[],text[],text[],timestamptz[],text[],double precision[],text[])',
    'bul_monitoring_rollup(timestamptz,text[],text[])',
    'bul_monitoring_prune(timestamptz,timestamptz,timestamptz)',
    'bul_monitoring_quota_usage(date)'] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO bul_runtime', f);
  END LOOP;
END $$;

-- Organization admins read their organization's metrics (monitoring:read).
UPDATE roles SET permissions = permissions || ARRAY['monitoring:read']
  WHERE key = 'org_admin' AND NOT permissions @> ARRAY['monitoring:read'];
