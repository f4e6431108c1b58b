-- Executive analytics: the metrics and daily trends of one organization (org scope) or of every
-- organization of the installation (global scope, super admins only), computed in SQL from the
-- work and business tables. One definition serves both scopes: the functions run as the owner
-- (row-level security would hide other organizations) and check the caller themselves.
--
-- Days and months are counted in the organization's time zone (organizations.timezone); the
-- global scope counts them in UTC. "The N days before asOf" means the N calendar days ending with
-- asOf's day: from the start of day (asOf's day − N + 1) up to asOf itself.

-- Which organizations a call may see, the time zone its days are counted in, and the book
-- currencies of those organizations. p_org NULL asks for every organization and needs a super admin;
-- otherwise p_org must be the organization the transaction acts for. Internal: not granted.
CREATE FUNCTION bul_analytics_scope(p_org uuid, OUT org_ids uuid[], OUT tz text, OUT book_currencies text[])
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF p_org IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = bul_current_user() AND u.is_super_admin) THEN
      RAISE EXCEPTION 'global analytics need a super admin' USING ERRCODE = '42501';
    END IF;
    SELECT coalesce(array_agg(o.id), '{}'), 'UTC',
           coalesce(array_agg(DISTINCT o.currency ORDER BY o.currency), '{}')
      INTO org_ids, tz, book_currencies FROM organizations o;
  ELSE
    IF p_org IS DISTINCT FROM bul_current_org() THEN
      RAISE EXCEPTION 'analytics of an organization other than the current one' USING ERRCODE = '42501';
    END IF;
    SELECT ARRAY[o.id], o.timezone, ARRAY[o.currency] INTO org_ids, tz, book_currencies
      FROM organizations o WHERE o.id = p_org;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'no such organization' USING ERRCODE = '42501';
    END IF;
  END IF;
END $$;
REVOKE ALL ON FUNCTION bul_analytics_scope(uuid) FROM PUBLIC;

-- The executive metrics as of one instant, as one JSON document (see the OpenAPI descriptions of
-- GET /api/v1/executive/metrics for each formula).
CREATE FUNCTION bul_executive_metrics(p_org uuid, p_as_of timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s record;
  d date;            -- asOf's day
  m0 date;           -- first day of asOf's month
  pm0 date;          -- first day of the month before
  m0_ts timestamptz; -- the instant the month began
  w30 timestamptz;   -- start of the 30 days before asOf
  w90 timestamptz;   -- start of the 90 days before asOf
  result jsonb;
BEGIN
  SELECT * INTO s FROM bul_analytics_scope(p_org);
  d := (p_as_of AT TIME ZONE s.tz)::date;
  m0 := date_trunc('month', d::timestamp)::date;
  pm0 := (m0::timestamp - interval '1 month')::date;
  m0_ts := m0::timestamp AT TIME ZONE s.tz;
  w30 := (d - 29)::timestamp AT TIME ZONE s.tz;
  w90 := (d - 89)::timestamp AT TIME ZONE s.tz;

  WITH
  revenue AS (
    SELECT p.currency,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.paid_on >= m0), 0) AS this_month,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.paid_on < m0), 0) AS last_month
    FROM payments p
    WHERE p.org_id = ANY (s.org_ids) AND p.paid_on >= pm0 AND p.paid_on <= d
    GROUP BY p.currency),
  mrr AS (
    SELECT c.currency,
           round(sum(CASE c.billing_interval WHEN 'year' THEN c.amount_minor / 12.0
                      ELSE c.amount_minor::numeric END)) AS mrr
    FROM contracts c
    WHERE c.org_id = ANY (s.org_ids) AND c.start_date <= d AND (c.end_date IS NULL OR c.end_date >= d)
    GROUP BY c.currency),
  project_value AS (
    SELECT p.currency, round(avg(p.budget_minor)) AS average
    FROM projects p
    WHERE p.org_id = ANY (s.org_ids) AND p.status <> 'cancelled' AND p.budget_minor IS NOT NULL
    GROUP BY p.currency),
  currencies AS (
    SELECT unnest(s.book_currencies) AS currency
    UNION SELECT currency FROM revenue
    UNION SELECT currency FROM mrr
    UNION SELECT currency FROM project_value),
  money AS (
    SELECT coalesce(jsonb_agg(jsonb_build_object(
             'currency', cur.currency,
             'revenueThisMonthMinor', coalesce(r.this_month, 0),
             'revenueLastMonthMinor', coalesce(r.last_month, 0),
             'revenueGrowthPct', CASE WHEN coalesce(r.last_month, 0) = 0 THEN NULL
                                      ELSE round((r.this_month - r.last_month) * 100.0 / r.last_month, 2) END,
             'mrrMinor', coalesce(m.mrr, 0),
             'averageProjectValueMinor', pv.average)
           ORDER BY cur.currency <> s.book_currencies[1] OR p_org IS NULL, cur.currency), '[]'::jsonb) AS list
    FROM currencies cur
    LEFT JOIN revenue r ON r.currency = cur.currency
    LEFT JOIN mrr m ON m.currency = cur.currency
    LEFT JOIN project_value pv ON pv.currency = cur.currency),
  projects_by_status AS (
    SELECT jsonb_object_agg(st.status, coalesce(n.count, 0)) AS by_status, coalesce(sum(n.count), 0) AS total
    FROM unnest(ARRAY['planning', 'active', 'on_hold', 'completed', 'cancelled']) st (status)
    LEFT JOIN (SELECT p.status, count(*) AS count FROM projects p WHERE p.org_id = ANY (s.org_ids)
               GROUP BY p.status) n ON n.status = st.status),
  active_users AS (
    SELECT count(DISTINCT e.actor_id) AS n
    FROM audit_events e
    WHERE e.org_id = ANY (s.org_ids) AND e.actor_type = 'user' AND e.actor_id IS NOT NULL
      AND e.outcome = 'success' AND e.created_at >= w30 AND e.created_at <= p_as_of),
  first_active AS (
    SELECT min(c.changed_at) AS at
    FROM client_status_changes c
    WHERE c.org_id = ANY (s.org_ids) AND c.to_status = 'active' AND c.changed_at <= p_as_of
    GROUP BY c.org_id, c.client_id),
  new_clients AS (SELECT count(*) AS n FROM first_active WHERE at >= m0_ts),
  at_month_start AS (
    SELECT DISTINCT ON (c.org_id, c.client_id) c.org_id, c.client_id, c.to_status
    FROM client_status_changes c
    WHERE c.org_id = ANY (s.org_ids) AND c.changed_at < m0_ts
    ORDER BY c.org_id, c.client_id, c.changed_at DESC, c.id DESC),
  churn AS (
    SELECT count(*) AS active_at_start,
           count(*) FILTER (WHERE EXISTS (
             SELECT 1 FROM client_status_changes c
             WHERE c.org_id = a.org_id AND c.client_id = a.client_id AND c.to_status = 'churned'
               AND c.changed_at >= m0_ts AND c.changed_at <= p_as_of)) AS churned
    FROM at_month_start a WHERE a.to_status = 'active'),
  satisfaction AS (
    SELECT round(avg(f.score), 2) AS average, count(*) AS responses
    FROM feedback f
    WHERE f.org_id = ANY (s.org_ids) AND f.received_on >= d - 89 AND f.received_on <= d),
  conversion AS (
    SELECT count(*) FILTER (WHERE x.stage = 'won') AS won, count(*) FILTER (WHERE x.stage = 'lost') AS lost
    FROM deals x
    WHERE x.org_id = ANY (s.org_ids) AND x.closed_at IS NOT NULL AND x.closed_at >= w90 AND x.closed_at <= p_as_of)
  SELECT jsonb_build_object(
    'timezone', s.tz,
    'day', d,
    'monthStart', m0,
    'lastMonthStart', pm0,
    'organizations', cardinality(s.org_ids),
    'money', (SELECT list FROM money),
    'projects', (SELECT jsonb_build_object('total', total, 'byStatus', by_status) FROM projects_by_status),
    'activeUsers', (SELECT n FROM active_users),
    'newClients', (SELECT n FROM new_clients),
    'churn', (SELECT jsonb_build_object(
                'activeAtMonthStart', active_at_start,
                'churned', churned,
                'ratePct', CASE WHEN active_at_start = 0 THEN NULL
                                ELSE round(churned * 100.0 / active_at_start, 2) END) FROM churn),
    'satisfaction', (SELECT jsonb_build_object('average', average, 'responses', responses) FROM satisfaction),
    'conversion', (SELECT jsonb_build_object(
                     'won', won, 'lost', lost,
                     'ratePct', CASE WHEN won + lost = 0 THEN NULL ELSE round(won * 100.0 / (won + lost), 2) END)
                   FROM conversion))
  INTO result;
  RETURN result;
END $$;

-- One metric as a daily series: the p_days days ending with asOf's day, oldest first, every day
-- present (0 where nothing happened; satisfaction is NULL on days without feedback). Money
-- metrics give one series per currency (the book currencies always, the organization's first for
-- the org scope, then alphabetical); the others have currency NULL.
CREATE FUNCTION bul_executive_trend(p_org uuid, p_metric text, p_days integer, p_as_of timestamptz)
RETURNS TABLE (currency text, day date, value double precision)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  s record;
  d date;
  d0 date;
  lo timestamptz;
BEGIN
  IF p_days IS NULL OR p_days < 1 OR p_days > 366 THEN
    RAISE EXCEPTION 'days must be between 1 and 366' USING ERRCODE = '22023';
  END IF;
  IF p_metric IS NULL OR p_metric NOT IN ('revenue', 'mrr', 'new_clients', 'churned_clients', 'tasks_created',
      'tasks_completed', 'projects_created', 'active_users', 'satisfaction') THEN
    RAISE EXCEPTION 'unknown metric %', p_metric USING ERRCODE = '22023';
  END IF;
  SELECT * INTO s FROM bul_analytics_scope(p_org);
  d := (p_as_of AT TIME ZONE s.tz)::date;
  d0 := d - (p_days - 1);
  lo := d0::timestamp AT TIME ZONE s.tz;

  CASE p_metric
  WHEN 'revenue' THEN
    RETURN QUERY
    WITH days AS (SELECT d0 + i AS day FROM generate_series(0, p_days - 1) i),
    x AS (SELECT p.currency, p.paid_on AS day, sum(p.amount_minor) AS v FROM payments p
          WHERE p.org_id = ANY (s.org_ids) AND p.paid_on >= d0 AND p.paid_on <= d GROUP BY 1, 2),
    cur AS (SELECT unnest(s.book_currencies) AS currency UNION SELECT currency FROM x)
    SELECT cur.currency, days.day, coalesce(x.v, 0)::float8
    FROM cur CROSS JOIN days LEFT JOIN x ON x.currency = cur.currency AND x.day = days.day
    ORDER BY cur.currency <> s.book_currencies[1] OR p_org IS NULL, cur.currency, days.day;
  WHEN 'mrr' THEN
    RETURN QUERY
    WITH days AS (SELECT d0 + i AS day FROM generate_series(0, p_days - 1) i),
    c AS (SELECT c.currency, c.start_date, c.end_date,
                 CASE c.billing_interval WHEN 'year' THEN c.amount_minor / 12.0 ELSE c.amount_minor::numeric END AS monthly
          FROM contracts c
          WHERE c.org_id = ANY (s.org_ids) AND c.start_date <= d AND (c.end_date IS NULL OR c.end_date >= d0)),
    x AS (SELECT c.currency, days.day, round(sum(c.monthly)) AS v FROM c
          JOIN days ON c.start_date <= days.day AND (c.end_date IS NULL OR c.end_date >= days.day) GROUP BY 1, 2),
    cur AS (SELECT unnest(s.book_currencies) AS currency UNION SELECT currency FROM c)
    SELECT cur.currency, days.day, coalesce(x.v, 0)::float8
    FROM cur CROSS JOIN days LEFT JOIN x ON x.currency = cur.currency AND x.day = days.day
    ORDER BY cur.currency <> s.book_currencies[1] OR p_org IS NULL, cur.currency, days.day;
  WHEN 'satisfaction' THEN
    RETURN QUERY
    WITH days AS (SELECT d0 + i AS day FROM generate_series(0, p_days - 1) i),
    x AS (SELECT f.received_on AS day, round(avg(f.score), 2) AS v FROM feedback f
          WHERE f.org_id = ANY (s.org_ids) AND f.received_on >= d0 AND f.received_on <= d GROUP BY 1)
    SELECT NULL::text, days.day, x.v::float8 FROM days LEFT JOIN x ON x.day = days.day ORDER BY days.day;
  ELSE
    RETURN QUERY
    WITH days AS (SELECT d0 + i AS day FROM generate_series(0, p_days - 1) i),
    ts AS (
      -- One row per thing counted, with its local day (users and clients at most once a day).
      SELECT (t.created_at AT TIME ZONE s.tz)::date AS day FROM tasks t
       WHERE p_metric = 'tasks_created' AND t.org_id = ANY (s.org_ids) AND t.created_at >= lo AND t.created_at <= p_as_of
      UNION ALL
      SELECT (t.completed_at AT TIME ZONE s.tz)::date FROM tasks t
       WHERE p_metric = 'tasks_completed' AND t.org_id = ANY (s.org_ids) AND t.completed_at >= lo AND t.completed_at <= p_as_of
      UNION ALL
      SELECT (p.created_at AT TIME ZONE s.tz)::date FROM projects p
       WHERE p_metric = 'projects_created' AND p.org_id = ANY (s.org_ids) AND p.created_at >= lo AND p.created_at <= p_as_of
      UNION ALL
      SELECT u.day FROM (
        SELECT DISTINCT (e.created_at AT TIME ZONE s.tz)::date AS day, e.actor_id FROM audit_events e
        WHERE p_metric = 'active_users' AND e.org_id = ANY (s.org_ids) AND e.actor_type = 'user'
          AND e.actor_id IS NOT NULL AND e.outcome = 'success' AND e.created_at >= lo AND e.created_at <= p_as_of) u
      UNION ALL
      SELECT (f.at AT TIME ZONE s.tz)::date FROM (
        SELECT min(c.changed_at) AS at FROM client_status_changes c
        WHERE p_metric = 'new_clients' AND c.org_id = ANY (s.org_ids) AND c.to_status = 'active' AND c.changed_at <= p_as_of
        GROUP BY c.org_id, c.client_id) f
       WHERE f.at >= lo
      UNION ALL
      SELECT ch.day FROM (
        SELECT DISTINCT (c.changed_at AT TIME ZONE s.tz)::date AS day, c.org_id, c.client_id FROM client_status_changes c
        WHERE p_metric = 'churned_clients' AND c.org_id = ANY (s.org_ids) AND c.from_status = 'active'
          AND c.to_status = 'churned' AND c.changed_at >= lo AND c.changed_at <= p_as_of) ch),
    x AS (SELECT ts.day, count(*) AS v FROM ts GROUP BY ts.day)
    SELECT NULL::text, days.day, coalesce(x.v, 0)::float8 FROM days LEFT JOIN x ON x.day = days.day ORDER BY days.day;
  END CASE;
END $$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['bul_executive_metrics(uuid,timestamptz)', 'bul_executive_trend(uuid,text,integer,timestamptz)'] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO bul_runtime', f);
  END LOOP;
END $$;
