-- Business numbers that tie out and history that stays written (issue 14, items 15 to 19).
--
-- 1. One monthly value per contract, in integer arithmetic: bul_contract_monthly_minor() rounds
--    amount ÷ months-per-interval half away from zero without any decimal division, and both the
--    contracts list (monthlyValueMinor) and MRR (the executive metrics and the mrr trend) use it, so
--    MRR is exactly the sum of the listed monthly values. Before, MRR summed unrounded twelfths
--    (237,512 against the list's 237,513) and ties depended on where numeric division truncated
--    (six yearly contracts of 120,001 gave 60,000). Contracts may now be billed every quarter.
-- 2. Financial history cannot be deleted by a cascade: contracts, invoices and feedback no longer
--    vanish with their client, nor payments with their invoice (NO ACTION: the delete fails unless
--    they are gone; an organization's own deletion still cascades to all of them in one statement).
--    The services refuse such deletes first, with a `financial-history` problem; clients get an
--    archived state instead (clients.archived_at).
-- 3. tasks.completed_by: who completed a task, set from the transaction's user when completed_at is
--    set (so every path that completes a task records it), cleared when the task is reopened, and
--    filled for existing tasks from the audit trail where it says who completed them.
-- 4. The executive functions of 0003 redefined: MRR as in 1; revenue growth compares this month so
--    far with the same days of last month; project counts and the average project budget (renamed
--    from "average project value": it is a mean budget, a cost) are as of asOf.

---------------------------------------------------------------------------------------------------
-- 1. Contracts: quarterly billing, and the monthly value.
ALTER TABLE contracts DROP CONSTRAINT contracts_billing_interval_check;
ALTER TABLE contracts ADD CONSTRAINT contracts_billing_interval_check
  CHECK (billing_interval IN ('month', 'quarter', 'year'));

-- amount ÷ n rounded half away from zero, in integers: floor((2|a| + n) ÷ 2n) with the sign of a.
CREATE FUNCTION bul_contract_monthly_minor(p_amount bigint, p_interval text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT sign(p_amount) * ((2 * abs(p_amount) + n) / (2 * n))
  FROM (SELECT CASE p_interval WHEN 'month' THEN 1 WHEN 'quarter' THEN 3 WHEN 'year' THEN 12 END::bigint AS n) k
$$;

---------------------------------------------------------------------------------------------------
-- 2. No cascade deletes financial history.
ALTER TABLE contracts DROP CONSTRAINT contracts_org_id_client_id_fkey;
ALTER TABLE contracts ADD CONSTRAINT contracts_org_id_client_id_fkey
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id);
ALTER TABLE invoices DROP CONSTRAINT invoices_org_id_client_id_fkey;
ALTER TABLE invoices ADD CONSTRAINT invoices_org_id_client_id_fkey
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id);
ALTER TABLE payments DROP CONSTRAINT payments_org_id_invoice_id_fkey;
ALTER TABLE payments ADD CONSTRAINT payments_org_id_invoice_id_fkey
  FOREIGN KEY (org_id, invoice_id) REFERENCES invoices (org_id, id);
ALTER TABLE feedback DROP CONSTRAINT feedback_org_id_client_id_fkey;
ALTER TABLE feedback ADD CONSTRAINT feedback_org_id_client_id_fkey
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id);

-- Archived clients: kept with their history, hidden from the client list unless asked for.
ALTER TABLE clients ADD COLUMN archived_at timestamptz;

---------------------------------------------------------------------------------------------------
-- 3. Who completed a task.
ALTER TABLE tasks ADD COLUMN completed_by uuid REFERENCES users (id) ON DELETE SET NULL;

CREATE FUNCTION bul_task_completed_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.completed_at IS NULL THEN
    NEW.completed_by := NULL;
  ELSIF TG_OP = 'INSERT' THEN
    NEW.completed_by := coalesce(NEW.completed_by, bul_current_user());
  ELSIF OLD.completed_at IS NULL AND NEW.completed_by IS NOT DISTINCT FROM OLD.completed_by THEN
    NEW.completed_by := bul_current_user();
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER tasks_completed_by BEFORE INSERT OR UPDATE OF completed_at, completed_by ON tasks
  FOR EACH ROW EXECUTE FUNCTION bul_task_completed_by();

-- Existing completed tasks: the user of the latest audit event that moved the task to completed
-- (an API key acts for its user). Tasks without such an event keep completed_by NULL.
UPDATE tasks t SET completed_by = w.user_id
FROM (
  SELECT DISTINCT ON (e.org_id, e.resource_id) e.org_id, e.resource_id,
         CASE e.actor_type WHEN 'user' THEN e.actor_id
              ELSE (SELECT k.user_id FROM api_keys k WHERE k.org_id = e.org_id AND k.id = e.actor_id) END AS user_id
  FROM audit_events e
  WHERE e.resource_type = 'task' AND e.outcome = 'success' AND e.actor_type IN ('user', 'api_key')
    AND e.changes -> 'status' ->> 'after' = 'completed'
  ORDER BY e.org_id, e.resource_id, e.created_at DESC, e.id DESC) w
WHERE t.completed_at IS NOT NULL AND t.org_id = w.org_id AND t.id::text = w.resource_id
  AND EXISTS (SELECT 1 FROM users u WHERE u.id = w.user_id);

---------------------------------------------------------------------------------------------------
-- 4. Analytics as of an instant.

-- A project's status at p_as_of: its current status when it has not changed since, otherwise the
-- status of the latest audit event at or before p_as_of that recorded one (project.create and
-- project.status_change carry it), or the current status when the trail has none. Runs with the
-- caller's rights: inside the tenant transaction row-level security scopes the audit trail.
CREATE FUNCTION bul_project_status_at(p_org uuid, p_id uuid, p_status text, p_updated timestamptz,
                                      p_as_of timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN p_updated <= p_as_of THEN p_status ELSE coalesce((
    SELECT e.changes -> 'status' ->> 'after' FROM audit_events e
    WHERE e.org_id = p_org AND e.resource_type = 'project' AND e.resource_id = p_id::text
      AND e.outcome = 'success' AND e.changes ? 'status' AND e.created_at <= p_as_of
    ORDER BY e.created_at DESC, e.id DESC LIMIT 1), p_status) END
$$;

-- Same signature as 0003: CREATE OR REPLACE keeps the grants.
CREATE OR REPLACE FUNCTION bul_executive_metrics(p_org uuid, p_as_of timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s record;
  d date;            -- asOf's day
  m0 date;           -- first day of asOf's month
  pm0 date;          -- first day of the month before
  pd date;           -- the same day of the month before (its last day when shorter)
  m0_ts timestamptz; -- the instant the month began
  w30 timestamptz;   -- start of the 30 days before asOf
  w90 timestamptz;   -- start of the 90 days before asOf
  result jsonb;
BEGIN
  SELECT * INTO s FROM bul_analytics_scope(p_org);
  d := (p_as_of AT TIME ZONE s.tz)::date;
  m0 := date_trunc('month', d::timestamp)::date;
  pm0 := (m0::timestamp - interval '1 month')::date;
  pd := least(pm0 + (d - m0), m0 - 1);
  m0_ts := m0::timestamp AT TIME ZONE s.tz;
  w30 := (d - 29)::timestamp AT TIME ZONE s.tz;
  w90 := (d - 89)::timestamp AT TIME ZONE s.tz;

  WITH
  revenue AS (
    SELECT p.currency,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.paid_on >= m0), 0) AS this_month,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.paid_on < m0), 0) AS last_month,
           coalesce(sum(p.amount_minor) FILTER (WHERE p.paid_on <= pd), 0) AS last_month_to_date
    FROM payments p
    WHERE p.org_id = ANY (s.org_ids) AND p.paid_on >= pm0 AND p.paid_on <= d
    GROUP BY p.currency),
  mrr AS (
    SELECT c.currency, sum(bul_contract_monthly_minor(c.amount_minor, c.billing_interval)) AS mrr
    FROM contracts c
    WHERE c.org_id = ANY (s.org_ids) AND c.start_date <= d AND (c.end_date IS NULL OR c.end_date >= d)
    GROUP BY c.currency),
  projects_then AS (
    SELECT p.currency, p.budget_minor,
           bul_project_status_at(p.org_id, p.id, p.status, p.updated_at, p_as_of) AS status
    FROM projects p
    WHERE p.org_id = ANY (s.org_ids) AND p.created_at <= p_as_of),
  project_budget AS (
    SELECT p.currency, round(avg(p.budget_minor)) AS average
    FROM projects_then p
    WHERE p.status <> 'cancelled' AND p.budget_minor IS NOT NULL
    GROUP BY p.currency),
  currencies AS (
    SELECT unnest(s.book_currencies) AS currency
    UNION SELECT currency FROM revenue
    UNION SELECT currency FROM mrr
    UNION SELECT currency FROM project_budget),
  money AS (
    SELECT coalesce(jsonb_agg(jsonb_build_object(
             'currency', cur.currency,
             'revenueThisMonthMinor', coalesce(r.this_month, 0),
             'revenueLastMonthMinor', coalesce(r.last_month, 0),
             'revenueLastMonthToDateMinor', coalesce(r.last_month_to_date, 0),
             'revenueGrowthPct', CASE WHEN coalesce(r.last_month_to_date, 0) = 0 THEN NULL
                                      ELSE round((r.this_month - r.last_month_to_date) * 100.0
                                                 / r.last_month_to_date, 2) END,
             'mrrMinor', coalesce(m.mrr, 0),
             'averageProjectBudgetMinor', pb.average)
           ORDER BY cur.currency <> s.book_currencies[1] OR p_org IS NULL, cur.currency), '[]'::jsonb) AS list
    FROM currencies cur
    LEFT JOIN revenue r ON r.currency = cur.currency
    LEFT JOIN mrr m ON m.currency = cur.currency
    LEFT JOIN project_budget pb ON pb.currency = cur.currency),
  projects_by_status AS (
    SELECT jsonb_object_agg(st.status, coalesce(n.count, 0)) AS by_status, coalesce(sum(n.count), 0) AS total
    FROM unnest(ARRAY['planning', 'active', 'on_hold', 'completed', 'cancelled']) st (status)
    LEFT JOIN (SELECT p.status, count(*) AS count FROM projects_then p GROUP BY p.status) n
      ON n.status = st.status),
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
    'lastMonthSameDay', pd,
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

-- As in 0003, except mrr: each contract's monthly value rounded on its own, then summed.
CREATE OR REPLACE FUNCTION bul_executive_trend(p_org uuid, p_metric text, p_days integer, p_as_of timestamptz)
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
                 bul_contract_monthly_minor(c.amount_minor, c.billing_interval) AS monthly
          FROM contracts c
          WHERE c.org_id = ANY (s.org_ids) AND c.start_date <= d AND (c.end_date IS NULL OR c.end_date >= d0)),
    x AS (SELECT c.currency, days.day, sum(c.monthly) AS v FROM c
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
