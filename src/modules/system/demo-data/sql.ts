// The set-based SQL that fills the demo organization. Every statement reads its inputs from the
// one-row temporary table demo_params (organization, sizes, word lists, the user ids picked from),
// so none takes bind parameters and each table is written by one INSERT … SELECT over
// generate_series or over rows written before it.
//
// Randomness: every random() is evaluated in the target list of a scan or of a subquery that
// PostgreSQL does not flatten (a volatile target list is never pulled up), so each row draws its
// own numbers. The session is seeded with setseed() and runs without parallel workers, and rows
// draw in an order that does not depend on the plan: generate_series, the temporary tables (written
// in a fixed order), or a real table read through a subquery with ORDER BY on a seeded column
// (never the random ids; after ANALYZE the planner may switch from a heap scan to an index scan).
// So two loads on the same day produce the same rows apart from ids. Ids are UUIDv7 built from the
// row's own timestamp (ordering by id = ordering by creation, as for ids made by the app).

/** Session set-up: helper functions (pg_temp, gone with the connection) and the parameter table. */
export const SETUP_SQL = `
SET max_parallel_workers_per_gather = 0;
-- The planner cannot estimate these generated sets and would JIT-compile each statement (~0.5 s apiece).
SET jit = off;
DROP TABLE IF EXISTS pg_temp.demo_params, pg_temp.demo_members, pg_temp.demo_projects, pg_temp.demo_tasks,
  pg_temp.demo_audit_src, pg_temp.demo_audit;

-- A UUIDv7 whose time part is ts (random bits from gen_random_uuid, version nibble set to 7).
CREATE OR REPLACE FUNCTION pg_temp.demo_id(ts timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS $$
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
    PLACING substring(int8send(floor(extract(epoch FROM ts) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1),
    'hex')::uuid
$$;
-- One element of a, chosen by r in [0, 1).
CREATE OR REPLACE FUNCTION pg_temp.nth(a anyarray, r float8) RETURNS anyelement LANGUAGE sql IMMUTABLE AS $$
  SELECT a[1 + floor(r * cardinality(a))::int]
$$;
-- A random element of a.
CREATE OR REPLACE FUNCTION pg_temp.pick(a anyarray) RETURNS anyelement LANGUAGE sql VOLATILE AS $$
  SELECT a[1 + floor(random() * cardinality(a))::int]
$$;
-- None, one or two distinct elements of a (a tag list), chosen by r in [0, 1).
CREATE OR REPLACE FUNCTION pg_temp.some_of(a anyarray, r float8) RETURNS anyarray LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN r < 0.35 THEN a[1:0]
    WHEN r < 0.8 THEN ARRAY[a[1 + floor(r * 997)::int % cardinality(a)]]
    ELSE ARRAY[a[1 + floor(r * 997)::int % cardinality(a)],
               a[1 + (floor(r * 997)::int % cardinality(a) + 1 + floor(r * 7919)::int % (cardinality(a) - 1)) % cardinality(a)]]
  END
$$;
-- A number in [0, 1) derived from a (seeded) timestamp: "random" but the same on every run.
CREATE OR REPLACE FUNCTION pg_temp.frac(ts timestamptz) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT (floor(extract(epoch FROM ts) * 1000000)::bigint % 1000003) / 1000003.0
$$;
-- A satisfaction score 1–5 from r in [0, 1): 5 %, 10 %, 20 %, 35 %, 30 %.
CREATE OR REPLACE FUNCTION pg_temp.score(r float8) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN r < 0.05 THEN 1 WHEN r < 0.15 THEN 2 WHEN r < 0.35 THEN 3 WHEN r < 0.7 THEN 4 ELSE 5 END
$$;

CREATE TEMP TABLE demo_params (
  org_id uuid, admin_id uuid, domain text, pw_hash text, currency text, scale bigint,
  n_users int, n_clients int, n_projects int, n_tasks int, n_audit int,
  t_now timestamptz, t_start timestamptz, today date,
  first_names text[], last_names text[], company_a text[], company_b text[], project_areas text[],
  project_kinds text[], project_sentences text[], task_verbs text[], task_objects text[], task_sentences text[],
  comments text[], time_notes text[], task_tags text[], project_tags text[], client_tags text[],
  client_notes text[], contact_titles text[], consent_sources text[], milestones text[],
  expense_categories text[], expense_notes text[], deal_titles text[], payment_methods text[],
  feedback_good text[], feedback_neutral text[], feedback_bad text[], user_agents text[],
  member_ids uuid[], manager_ids uuid[], worker_ids uuid[], seller_ids uuid[], dept_ids uuid[],
  client_ids uuid[], active_client_ids uuid[]
);
`;

/** $1: the parameters as JSON (keys = demo_params columns). Time runs in the organization's zone. */
export const PARAMS_SQL = `
INSERT INTO demo_params SELECT * FROM jsonb_populate_record(NULL::demo_params, $1::jsonb)`;

/**
 * The history ends at the start of today in the organization's time zone (the session's), so two
 * loads on the same day produce the same rows apart from ids, and dashboards count from yesterday.
 */
export const CLOCK_SQL = `
UPDATE demo_params SET t_now = date_trunc('day', now()), t_start = date_trunc('day', now()) - interval '365 days',
  today = current_date`;

export interface LoadStep {
  /** What the step writes (the progress line). */
  name: string;
  sql: string;
}

/** The organization's data, in dependency order; run in one transaction. */
export const LOAD_STEPS: LoadStep[] = [
  {
    name: 'organization',
    // The organization and its founder have existed for a year; demo organizations get the
    // enterprise plan so member and API-request quotas never get in the way of trying or benchmarking.
    sql: `
UPDATE organizations o SET created_at = p.t_start, plan_id = 'enterprise' FROM demo_params p WHERE o.id = p.org_id;
UPDATE users u SET created_at = p.t_start, password_changed_at = p.t_start FROM demo_params p WHERE u.id = p.admin_id;
UPDATE memberships m SET created_at = p.t_start FROM demo_params p WHERE m.org_id = p.org_id;
UPDATE roles r SET created_at = p.t_start FROM demo_params p WHERE r.org_id = p.org_id;`,
  },
  {
    name: 'departments',
    sql: `
INSERT INTO departments (org_id, id, parent_id, name, description, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(p.t_start + d.n * interval '1 minute'), NULL, d.name, d.description, p.t_start, p.t_start
FROM demo_params p, (VALUES
  (1, 'Engineering', 'Builds and runs the product'),
  (2, 'Sales', 'New business and renewals'),
  (3, 'Operations', 'Delivery, vendors and internal tools'),
  (4, 'Finance', 'Invoicing, payments and reporting'),
  (5, 'Customer Success', 'Onboarding and support')) d(n, name, description)
ORDER BY d.n;
INSERT INTO departments (org_id, id, parent_id, name, description, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(p.t_start + (10 + d.n) * interval '1 minute'), parent.id, d.name, d.description,
  p.t_start, p.t_start
FROM demo_params p CROSS JOIN (VALUES
  (1, 'Engineering', 'Backend', 'APIs, data and integrations'),
  (2, 'Engineering', 'Frontend', 'Web and mobile apps'),
  (3, 'Engineering', 'Platform', 'Infrastructure and security'),
  (4, 'Sales', 'Inbound', 'Leads from the website and partners'),
  (5, 'Sales', 'Outbound', 'Prospecting')) d(n, parent_name, name, description)
JOIN departments parent ON parent.org_id = p.org_id AND parent.name = d.parent_name AND parent.parent_id IS NULL
ORDER BY d.n;`,
  },
  {
    name: 'users',
    // Member i gets role pattern[i] (all five non-admin roles among the first seven) and a
    // department that fits the role; they join over the first 200 days.
    sql: `
CREATE TEMP TABLE demo_members AS
WITH base AS (
  SELECT 0 AS idx, u.id AS user_id, u.name, u.email, 'org_admin'::text AS role_key, NULL::text AS dept_name,
    p.t_start AS joined_at
  FROM demo_params p JOIN users u ON u.id = p.admin_id
  UNION ALL
  SELECT i, NULL::uuid, n.first_name || ' ' || n.last_name, lower(n.first_name || '.' || n.last_name) || '@' || p.domain,
    r.role_key,
    CASE r.role_key
      WHEN 'manager' THEN (ARRAY['Engineering', 'Sales', 'Operations', 'Customer Success'])[1 + i % 4]
      WHEN 'developer' THEN (ARRAY['Backend', 'Frontend', 'Platform'])[1 + i % 3]
      WHEN 'analyst' THEN (ARRAY['Finance', 'Operations'])[1 + i % 2]
      WHEN 'user' THEN (ARRAY['Inbound', 'Outbound', 'Customer Success'])[1 + i % 3]
      ELSE (ARRAY['Customer Success', 'Finance'])[1 + i % 2]
    END,
    p.t_start + ((i - 1) * 200.0 / greatest(p.n_users - 1, 1)) * interval '1 day' + random() * interval '8 hours'
  FROM demo_params p
  CROSS JOIN generate_series(1, p.n_users - 1) i
  CROSS JOIN LATERAL (SELECT p.first_names[1 + i % cardinality(p.first_names)] AS first_name,
                             p.last_names[1 + i % cardinality(p.last_names)] AS last_name) n
  CROSS JOIN LATERAL (SELECT (ARRAY['manager', 'developer', 'developer', 'analyst', 'user', 'developer', 'viewer',
                                    'manager', 'developer', 'user'])[1 + (i - 1) % 10] AS role_key) r
)
SELECT b.idx, coalesce(b.user_id, pg_temp.demo_id(b.joined_at)) AS user_id, b.name, b.email, b.role_key, b.dept_name,
  b.joined_at, '203.0.113.' || (10 + b.idx) AS ip, p.user_agents[1 + b.idx % cardinality(p.user_agents)] AS user_agent
FROM base b CROSS JOIN demo_params p ORDER BY b.idx;

INSERT INTO users (id, email, name, password_hash, status, locale, password_changed_at, created_at, updated_at)
SELECT m.user_id, m.email, m.name, p.pw_hash, 'active', 'en', m.joined_at, m.joined_at, m.joined_at
FROM demo_members m CROSS JOIN demo_params p WHERE m.idx > 0 ORDER BY m.idx;

INSERT INTO memberships (org_id, id, user_id, role_id, department_id, status, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(m.joined_at), m.user_id, r.id, d.id, 'active', m.joined_at, m.joined_at
FROM demo_members m CROSS JOIN demo_params p
JOIN roles r ON r.org_id = p.org_id AND r.key = m.role_key
LEFT JOIN departments d ON d.org_id = p.org_id AND d.name = m.dept_name
WHERE m.idx > 0 ORDER BY m.idx;

-- Who does what: managers own projects, developers (three times as likely) take tasks, sellers own clients and deals.
UPDATE demo_params p SET
  member_ids = (SELECT array_agg(user_id ORDER BY idx) FROM demo_members),
  manager_ids = (SELECT array_agg(user_id ORDER BY idx) FROM demo_members WHERE role_key IN ('org_admin', 'manager')),
  worker_ids = (SELECT array_agg(m.user_id ORDER BY m.idx, k) FROM demo_members m,
                generate_series(1, CASE m.role_key WHEN 'developer' THEN 3 WHEN 'manager' THEN 1 WHEN 'user' THEN 1 ELSE 0 END) k),
  seller_ids = (SELECT array_agg(user_id ORDER BY idx) FROM demo_members WHERE role_key IN ('org_admin', 'manager', 'user')),
  dept_ids = (SELECT array_agg(id ORDER BY name) FROM departments d WHERE d.org_id = p.org_id);`,
  },
  {
    name: 'clients',
    // In fixed proportions: 15 % leads (recent), 65 % active, 5 % lost leads (lead → churned), 15 %
    // churned after being active.
    sql: `
WITH r AS MATERIALIZED (
  SELECT i, (ARRAY['active', 'active', 'lead', 'active', 'churned', 'active', 'active', 'active', 'lost', 'active', 'churned',
                   'active', 'lead', 'active', 'active', 'active', 'churned', 'active', 'lead', 'active'])[1 + (i - 1) % 20] AS kind,
    random() AS r_created, random() AS r_active, random() AS r_churn, random() AS r_tag,
    random() AS r_note, random() AS r_phone, pg_temp.pick(p.seller_ids) AS owner_id
  FROM demo_params p, generate_series(1, p.n_clients) i
), a AS (
  SELECT r.*,
    p.company_a[1 + (i - 1) % cardinality(p.company_a)] || ' ' || p.company_b[1 + (i - 1) % cardinality(p.company_b)] AS name,
    CASE WHEN r.kind = 'lead' THEN p.t_now - (3 + r.r_created * 90) * interval '1 day'
         ELSE p.t_start + r.r_created * (p.t_now - p.t_start - interval '21 days') END AS created_at
  FROM r CROSS JOIN demo_params p
), b AS (
  SELECT a.*, CASE WHEN a.kind IN ('active', 'churned')
    THEN least(a.created_at + (2 + a.r_active * 45) * interval '1 day', p.t_now - interval '3 days') END AS active_at
  FROM a CROSS JOIN demo_params p
), c AS (
  SELECT b.*, CASE
      WHEN b.kind = 'churned' THEN b.active_at + (0.25 + 0.75 * b.r_churn) * (p.t_now - interval '1 day' - b.active_at)
      WHEN b.kind = 'lost' THEN least(b.created_at + (5 + b.r_churn * 40) * interval '1 day', p.t_now - interval '1 day')
    END AS churned_at,
    lower(replace(b.name, ' ', '')) AS slug
  FROM b CROSS JOIN demo_params p
)
INSERT INTO clients (org_id, id, name, status, owner_id, email, phone, website, notes, tags, lead_at, active_at,
  churned_at, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(c.created_at), c.name, CASE c.kind WHEN 'lost' THEN 'churned' ELSE c.kind END,
  c.owner_id, 'hello@' || c.slug || '.example.com',
  '+1 (555) ' || to_char(c.i % 1000, 'FM000') || '-' || to_char(floor(c.r_phone * 10000), 'FM0000'),
  'https://www.' || c.slug || '.example.com', pg_temp.nth(p.client_notes, c.r_note), pg_temp.some_of(p.client_tags, c.r_tag),
  c.created_at, c.active_at, c.churned_at, c.created_at, coalesce(c.churned_at, c.active_at, c.created_at)
FROM c CROSS JOIN demo_params p ORDER BY c.i;

UPDATE demo_params p SET
  client_ids = (SELECT array_agg(id ORDER BY created_at, id) FROM clients c WHERE c.org_id = p.org_id),
  active_client_ids = (SELECT array_agg(id ORDER BY created_at, id) FROM clients c
                       WHERE c.org_id = p.org_id AND c.active_at IS NOT NULL);`,
  },
  {
    name: 'client_status_changes',
    sql: `
INSERT INTO client_status_changes (org_id, id, client_id, from_status, to_status, changed_at, changed_by)
SELECT c.org_id, pg_temp.demo_id(x.at), c.id, x.from_status, x.to_status, x.at, c.owner_id
FROM clients c JOIN demo_params p ON c.org_id = p.org_id
CROSS JOIN LATERAL (VALUES
  (NULL, 'lead', c.lead_at),
  ('lead', 'active', c.active_at),
  (CASE WHEN c.active_at IS NULL THEN 'lead' ELSE 'active' END, 'churned', c.churned_at)) x(from_status, to_status, at)
WHERE x.at IS NOT NULL
ORDER BY x.at;`,
  },
  {
    name: 'client_contacts',
    // 1–3 per client; 55 % have a Brazilian WhatsApp number, 20 % a US one; 70 % of those consented.
    sql: `
INSERT INTO client_contacts (org_id, id, client_id, name, title, email, phone, whatsapp, messaging_consent, consent_at,
  consent_source, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(x.created_at), x.client_id, x.first_name || ' ' || x.last_name,
  pg_temp.nth(p.contact_titles, x.r_title),
  lower(x.first_name || '.' || x.last_name) || '@' || x.slug || '.example.com',
  '+1 555 ' || to_char(floor(x.r_phone * 10000000), 'FM0000000'),
  x.whatsapp, x.consent, CASE WHEN x.consent THEN x.created_at + x.r_at * (p.t_now - x.created_at) END,
  CASE WHEN x.consent THEN pg_temp.nth(p.consent_sources, x.r_at) END,
  x.created_at, x.created_at
FROM demo_params p CROSS JOIN LATERAL (
  SELECT y.*,
    CASE WHEN y.r_wa < 0.55 THEN '+55119' || to_char(floor(y.r_phone * 100000000), 'FM00000000')
         WHEN y.r_wa < 0.75 THEN '+1415555' || to_char(floor(y.r_phone * 10000), 'FM0000') END AS whatsapp,
    y.r_wa < 0.75 AND y.r_consent < 0.7 AS consent
  FROM (
    SELECT c.id AS client_id, lower(replace(c.name, ' ', '')) AS slug, c.created_at, k,
      pg_temp.nth(p.first_names, random()) AS first_name, pg_temp.nth(p.last_names, random()) AS last_name,
      random() AS r_title, random() AS r_phone, random() AS r_wa, random() AS r_consent, random() AS r_at
    FROM (SELECT c.*, 1 + floor(random() * 3)::int AS n
          FROM (SELECT * FROM clients c WHERE c.org_id = p.org_id ORDER BY c.created_at) c) c,
      generate_series(1, c.n) k
  ) y
) x
ORDER BY x.created_at, x.k;`,
  },
  {
    name: 'projects',
    // Statuses in fixed proportions (every one present even in the small size): 30 % completed,
    // 35 % active, 10 % on hold, 15 % planning, 10 % cancelled; dates to match: planned projects are
    // recent and start soon, completed ones are older; each runs 30–180 days, so some are due in the
    // coming months and some active ones are overdue.
    sql: `
WITH r AS MATERIALIZED (
  SELECT i, (ARRAY['completed', 'active', 'planning', 'active', 'completed', 'on_hold', 'active', 'completed', 'cancelled',
                   'active', 'completed', 'active', 'planning', 'completed', 'active', 'on_hold', 'completed', 'active',
                   'planning', 'cancelled'])[1 + (i - 1) % 20] AS status,
    random() AS r_created, random() AS r_start, random() AS r_len, random() AS r_done,
    random() AS r_client, random() AS r_budget, random() AS r_tag, random() AS r_override, random() AS r_desc,
    random() AS r_desc2, pg_temp.pick(p.manager_ids) AS owner_id, pg_temp.pick(p.dept_ids) AS department_id
  FROM demo_params p, generate_series(1, p.n_projects) i
), a AS (
  SELECT r.*, CASE r.status
      WHEN 'planning' THEN p.t_now - (1 + r.r_created * 60) * interval '1 day'
      WHEN 'completed' THEN p.t_start + r.r_created * (p.t_now - p.t_start - interval '60 days')
      ELSE p.t_start + r.r_created * (p.t_now - p.t_start - interval '10 days') END AS created_at
  FROM r CROSS JOIN demo_params p
), b AS (
  SELECT a.*, a.created_at::date + CASE WHEN a.status = 'planning' THEN 7 + floor(a.r_start * 35)::int
                                        ELSE floor(a.r_start * 14)::int END AS start_date
  FROM a
), c AS (
  SELECT b.*, b.start_date + 30 + floor(b.r_len * 150)::int AS due_date FROM b
), d AS (
  SELECT c.*, c.start_date + ((0.6 + 0.6 * c.r_done) * (c.due_date - c.start_date)) * interval '1 day'
    + interval '15 hours' AS planned_end
  FROM c
), e AS (
  SELECT d.*, CASE WHEN d.status = 'completed' THEN greatest(d.created_at + interval '1 day',
      CASE WHEN d.planned_end < p.t_now - interval '1 hour' THEN d.planned_end
           ELSE d.start_date + (0.3 + 0.7 * d.r_done) * (p.t_now - d.start_date::timestamptz) END)
    END AS completed_at
  FROM d CROSS JOIN demo_params p
)
INSERT INTO projects (org_id, id, name, description, status, client_id, owner_id, department_id, tags, budget_minor,
  currency, start_date, due_date, progress_override, completed_at, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(e.created_at),
  p.project_areas[1 + (e.i - 1) % cardinality(p.project_areas)] || ' '
    || p.project_kinds[1 + (e.i - 1) % cardinality(p.project_kinds)]
    || CASE WHEN e.i > cardinality(p.project_areas) * cardinality(p.project_kinds)
         THEN ' ' || (1 + (e.i - 1) / (cardinality(p.project_areas) * cardinality(p.project_kinds))) ELSE '' END,
  pg_temp.nth(p.project_sentences, e.r_desc) || ' ' || pg_temp.nth(p.project_sentences, e.r_desc2),
  e.status,
  CASE WHEN e.r_client < 0.85 THEN pg_temp.nth(p.active_client_ids, e.r_client / 0.85) END,
  e.owner_id, e.department_id, pg_temp.some_of(p.project_tags, e.r_tag),
  (round((5000 + e.r_budget * e.r_budget * 195000) / 100) * 100)::bigint * p.scale, p.currency,
  e.start_date, e.due_date,
  CASE WHEN e.r_override < 0.08 THEN floor(e.r_override / 0.08 * 101)::int END,
  e.completed_at, e.created_at, coalesce(e.completed_at, e.created_at)
FROM e CROSS JOIN demo_params p ORDER BY e.i;

CREATE TEMP TABLE demo_projects AS
SELECT row_number() OVER (ORDER BY pr.created_at, pr.id) AS ord, pr.id, pr.status, pr.created_at, pr.start_date,
  pr.due_date, pr.completed_at, pr.owner_id
FROM projects pr JOIN demo_params p ON pr.org_id = p.org_id;
CREATE UNIQUE INDEX ON demo_projects (ord);
ANALYZE demo_projects;`,
  },
  {
    name: 'project_milestones',
    sql: `
INSERT INTO project_milestones (org_id, id, project_id, name, due_date, done_at, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(x.created_at), x.id,
  p.milestones[1 + ((x.k - 1) * (cardinality(p.milestones) - 1)) / (x.n - 1)], x.mdue, x.done_at, x.created_at,
  coalesce(x.done_at, x.created_at)
FROM demo_params p CROSS JOIN LATERAL (
  SELECT y.*, CASE
      WHEN y.status = 'completed' THEN least(y.completed_at, y.mdue + (y.r * 3) * interval '1 day' + interval '12 hours')
      WHEN y.status IN ('active', 'on_hold') AND y.mdue < p.today AND y.r < 0.85
        THEN least(p.t_now - interval '1 hour', y.mdue + (y.r * 4 - 1) * interval '1 day' + interval '12 hours')
    END AS done_at
  FROM (
    SELECT dp.*, k, dp.start_date + ((dp.due_date - dp.start_date) * k) / (dp.n + 1) AS mdue, random() AS r
    FROM (SELECT dp.*, 2 + floor(random() * 3)::int AS n FROM demo_projects dp) dp, generate_series(1, dp.n) k
  ) y
) x
ORDER BY x.ord, x.k;`,
  },
  {
    name: 'project_expenses',
    sql: `
INSERT INTO project_expenses (org_id, id, project_id, spent_on, amount_minor, currency, category, note, created_by,
  created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(x.spent_on + interval '10 hours'), x.id, x.spent_on,
  round(50 + x.r_amt * x.r_amt * 4950)::bigint * p.scale, p.currency, pg_temp.nth(p.expense_categories, x.r_cat),
  pg_temp.nth(p.expense_notes, x.r_note), x.owner_id, x.spent_on + interval '10 hours', x.spent_on + interval '10 hours'
FROM demo_params p CROSS JOIN LATERAL (
  SELECT dp.id, dp.owner_id, dp.ord, k,
    dp.start_date + floor(random() * (greatest(least(p.today, dp.due_date, coalesce(dp.completed_at::date, p.today))
      - dp.start_date, 0) + 1))::int AS spent_on,
    random() AS r_amt, random() AS r_cat, random() AS r_note
  FROM (SELECT dp.*, floor(random() * 7)::int AS n FROM demo_projects dp WHERE dp.status <> 'planning') dp,
    generate_series(1, dp.n) k
) x
ORDER BY x.spent_on, x.ord, x.k;`,
  },
  {
    name: 'tasks',
    // Task status follows its project's; open tasks are due from three weeks ago to three months
    // ahead (about one in six overdue); a task is completed within 45 days of its creation, and
    // before its project's completion.
    sql: `
WITH r AS MATERIALIZED (
  SELECT i, 1 + floor(random() * p.n_projects)::int AS ord, random() AS r_status, random() AS r_created,
    random() AS r_done, random() AS r_due, random() AS r_prio, random() AS r_assignee, random() AS r_est,
    random() AS r_verb, random() AS r_obj, random() AS r_tag, random() AS r_s1, random() AS r_s2,
    pg_temp.pick(p.manager_ids) AS manager_id
  FROM demo_params p, generate_series(1, p.n_tasks) i
), a AS (
  SELECT r.*, dp.id AS project_id, dp.created_at AS p_created,
    CASE WHEN dp.status = 'completed' THEN dp.completed_at ELSE p.t_now END AS w_end,
    CASE dp.status
      WHEN 'completed' THEN CASE WHEN r.r_status < 0.92 THEN 'completed' ELSE 'cancelled' END
      WHEN 'cancelled' THEN CASE WHEN r.r_status < 0.55 THEN 'cancelled' WHEN r.r_status < 0.85 THEN 'completed'
                                 ELSE 'pending' END
      WHEN 'planning' THEN CASE WHEN r.r_status < 0.9 THEN 'pending' ELSE 'active' END
      WHEN 'on_hold' THEN CASE WHEN r.r_status < 0.4 THEN 'pending' WHEN r.r_status < 0.55 THEN 'active'
                               WHEN r.r_status < 0.95 THEN 'completed' ELSE 'cancelled' END
      ELSE CASE WHEN r.r_status < 0.45 THEN 'completed' WHEN r.r_status < 0.65 THEN 'active'
                WHEN r.r_status < 0.95 THEN 'pending' ELSE 'cancelled' END
    END AS status
  FROM r JOIN demo_projects dp ON dp.ord = r.ord CROSS JOIN demo_params p
), b AS (
  SELECT a.*, a.p_created + a.r_created * (a.w_end - a.p_created) AS created_at FROM a
), c AS (
  SELECT b.*, CASE WHEN b.status = 'completed'
    THEN b.created_at + (0.02 + 0.98 * b.r_done) * (least(b.w_end, b.created_at + interval '45 days') - b.created_at)
    END AS completed_at
  FROM b
)
INSERT INTO tasks (org_id, id, project_id, title, description, assignee_id, priority, status, tags, due_date,
  estimate_minutes, completed_at, completed_by, created_by, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(c.created_at), c.project_id,
  pg_temp.nth(p.task_verbs, c.r_verb) || ' ' || pg_temp.nth(p.task_objects, c.r_obj),
  concat_ws(chr(10), '## Context', '', pg_temp.nth(p.task_sentences, c.r_s1) || ' ' || pg_temp.nth(p.task_sentences, c.r_s2),
    '', '## Checklist', '', '- [x] Reproduce or specify',
    '- [' || CASE WHEN c.status = 'completed' THEN 'x' ELSE ' ' END || '] Implement and review', '- [ ] Tell the client'),
  CASE WHEN c.r_assignee < 0.9 THEN pg_temp.nth(p.worker_ids, c.r_assignee / 0.9) END,
  CASE WHEN c.r_prio < 0.25 THEN 'low' WHEN c.r_prio < 0.7 THEN 'medium' WHEN c.r_prio < 0.92 THEN 'high' ELSE 'urgent' END,
  c.status, pg_temp.some_of(p.task_tags, c.r_tag),
  CASE WHEN c.r_due < 0.1 THEN NULL
       WHEN c.status IN ('pending', 'active') THEN greatest(c.created_at::date + 1, p.today - 20 + floor((c.r_due - 0.1) / 0.9 * 110)::int)
       ELSE c.created_at::date + 1 + floor((c.r_due - 0.1) / 0.9 * 50)::int END,
  CASE WHEN c.r_est < 0.75 THEN (1 + floor(c.r_est / 0.75 * 16)::int) * 30 END,
  -- Completed by the assignee (the manager when there is none), not by whoever runs the seeder.
  c.completed_at,
  CASE WHEN c.completed_at IS NOT NULL THEN
    coalesce(CASE WHEN c.r_assignee < 0.9 THEN pg_temp.nth(p.worker_ids, c.r_assignee / 0.9) END, c.manager_id) END,
  c.manager_id, c.created_at, coalesce(c.completed_at, c.created_at)
FROM c CROSS JOIN demo_params p ORDER BY c.i;

CREATE TEMP TABLE demo_tasks AS
SELECT row_number() OVER (ORDER BY t.created_at, t.id) AS ord, t.id, t.created_at,
  coalesce(t.completed_at, p.t_now) AS until, t.status, t.priority, t.due_date, t.assignee_id, t.created_by
FROM tasks t JOIN demo_params p ON t.org_id = p.org_id;
CREATE UNIQUE INDEX ON demo_tasks (ord);
ANALYZE demo_tasks;`,
  },
  {
    name: 'task_time_entries',
    // 1–4 entries on completed tasks, 1–2 on active ones, by the assignee (or the creator).
    sql: `
INSERT INTO task_time_entries (org_id, id, task_id, user_id, spent_on, minutes, note, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(x.at), x.id, x.user_id, x.at::date, x.minutes, x.note, x.at, x.at
FROM demo_params p CROSS JOIN LATERAL (
  SELECT t.id, t.ord, k, coalesce(t.assignee_id, t.created_by) AS user_id,
    t.created_at + random() * (t.until - t.created_at) AS at, (1 + floor(random() * 32)::int) * 15 AS minutes,
    pg_temp.pick(p.time_notes) AS note
  FROM (SELECT t.*, CASE t.status WHEN 'completed' THEN 1 + floor(random() * 4)::int
                                  WHEN 'active' THEN 1 + floor(random() * 2)::int ELSE 0 END AS n
        FROM demo_tasks t) t,
    generate_series(1, t.n) k
) x
ORDER BY x.ord, x.k;`,
  },
  {
    name: 'task_comments',
    // 0–3 per task (35 %, 35 %, 20 %, 10 %), half by the assignee.
    sql: `
INSERT INTO task_comments (org_id, id, task_id, author_id, body, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(x.at), x.id, x.author_id, x.body, x.at, x.at
FROM demo_params p CROSS JOIN LATERAL (
  SELECT t.id, t.ord, k, t.created_at + random() * (t.until - t.created_at) AS at,
    CASE WHEN random() < 0.5 THEN coalesce(t.assignee_id, t.created_by) ELSE pg_temp.pick(p.member_ids) END AS author_id,
    pg_temp.pick(p.comments) AS body
  FROM (SELECT t.*, CASE WHEN t.rn < 0.35 THEN 0 WHEN t.rn < 0.7 THEN 1 WHEN t.rn < 0.9 THEN 2 ELSE 3 END AS n
        FROM (SELECT t.*, random() AS rn FROM demo_tasks t) t) t,
    generate_series(1, t.n) k
) x
ORDER BY x.ord, x.k;`,
  },
  {
    name: 'task_watchers',
    sql: `
INSERT INTO task_watchers (org_id, task_id, user_id, created_at)
SELECT DISTINCT p.org_id, x.id, w.user_id, x.created_at
FROM demo_params p CROSS JOIN LATERAL (
  SELECT t.id, t.ord, t.created_at, t.created_by, t.assignee_id, random() AS r1, random() AS r2, random() AS r3,
    pg_temp.pick(p.member_ids) AS other
  FROM demo_tasks t
) x
CROSS JOIN LATERAL (VALUES (CASE WHEN x.r1 < 0.5 THEN x.created_by END), (CASE WHEN x.r2 < 0.4 THEN x.assignee_id END),
                           (CASE WHEN x.r3 < 0.3 THEN x.other END)) w(user_id)
WHERE w.user_id IS NOT NULL;`,
  },
  {
    name: 'contracts',
    // Every client that became active has a plan (3 in 4 monthly, 1 in 4 yearly) from that day, ended
    // when it churned (12 % of the rest have a fixed one-year term); a quarter add a monthly support
    // add-on later, 40 % of which have already ended.
    sql: `
WITH x AS MATERIALIZED (
  SELECT c.id AS client_id, c.created_at AS client_created, c.active_at, c.churned_at, c.rn, random() AS r_amt, random() AS r_term, random() AS r_extra, random() AS r_extra_start, random() AS r_extra_end,
    random() AS r_extra_amt
  FROM (SELECT c.*, row_number() OVER (ORDER BY c.created_at) AS rn FROM clients c JOIN demo_params p ON c.org_id = p.org_id
        WHERE c.active_at IS NOT NULL ORDER BY c.created_at) c
), plans AS (
  SELECT x.client_id, CASE WHEN x.rn % 4 = 2 THEN 'year' ELSE 'month' END AS billing_interval,
    round((300 + x.r_amt * x.r_amt * 7700) / 50) * 50 AS monthly, x.active_at::date AS start_date,
    CASE WHEN x.churned_at IS NOT NULL THEN x.churned_at::date WHEN x.r_term < 0.12 THEN x.active_at::date + 365 END AS end_date,
    'service plan' AS label, x.client_created
  FROM x
  UNION ALL
  SELECT y.client_id, 'month', y.monthly, y.start_date,
    CASE WHEN y.r_extra_end < 0.4 THEN least(y.start_date + 60 + floor(y.r_extra_end / 0.4 * 200)::int, y.churned_on)
         ELSE y.churned_on END,
    'support add-on', y.client_created
  FROM (
    SELECT x.*, round((100 + x.r_extra_amt * 1400) / 10) * 10 AS monthly,
      x.active_at::date + 30 + floor(x.r_extra_start * 120)::int AS start_date, x.churned_at::date AS churned_on
    FROM x WHERE x.r_extra < 0.25
  ) y, demo_params p
  WHERE y.start_date <= least(p.today, coalesce(y.churned_on, p.today))
)
INSERT INTO contracts (org_id, id, client_id, name, amount_minor, currency, billing_interval, start_date, end_date,
  created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(plans.start_date + interval '9 hours'), plans.client_id,
  CASE plans.billing_interval WHEN 'month' THEN 'Monthly ' ELSE 'Annual ' END || plans.label,
  CASE plans.billing_interval WHEN 'month' THEN plans.monthly::bigint
       ELSE (round(plans.monthly * 12 * 0.85 / 100) * 100)::bigint END * p.scale,
  p.currency, plans.billing_interval, plans.start_date, plans.end_date,
  plans.start_date + interval '9 hours', plans.start_date + interval '9 hours'
FROM plans CROSS JOIN demo_params p ORDER BY plans.start_date, plans.client_created, plans.label;`,
  },
  {
    name: 'invoices',
    // One invoice per billing period of each contract up to today, plus a 30 % deposit when a
    // client project starts and the balance when it completes; 3 % void.
    sql: `
-- (key: a seeded timestamp that orders invoices of the same day the same way on every run)
WITH src AS (
  SELECT k.client_id, k.amount_minor AS amount, gs::date AS issued_on, c.created_at AS key
  FROM contracts k JOIN demo_params p ON k.org_id = p.org_id JOIN clients c ON c.org_id = k.org_id AND c.id = k.client_id
  CROSS JOIN LATERAL generate_series(k.start_date::timestamp, least(coalesce(k.end_date, p.today), p.today)::timestamp,
    CASE k.billing_interval WHEN 'month' THEN interval '1 month' ELSE interval '1 year' END) gs
  UNION ALL
  SELECT pr.client_id, (pr.budget_minor * 3) / 10, pr.start_date, pr.created_at
  FROM projects pr JOIN demo_params p ON pr.org_id = p.org_id
  WHERE pr.client_id IS NOT NULL AND pr.budget_minor > 0 AND pr.status IN ('active', 'on_hold', 'completed')
    AND pr.start_date <= p.today
  UNION ALL
  SELECT pr.client_id, pr.budget_minor - (pr.budget_minor * 3) / 10, pr.completed_at::date, pr.created_at
  FROM projects pr JOIN demo_params p ON pr.org_id = p.org_id
  WHERE pr.client_id IS NOT NULL AND pr.budget_minor > 0 AND pr.status = 'completed'
), numbered AS (
  SELECT src.*, row_number() OVER (ORDER BY src.issued_on, src.key, src.amount) AS n FROM src
), voided AS (
  SELECT numbered.*, random() AS r_void FROM numbered ORDER BY numbered.n
)
INSERT INTO invoices (org_id, id, client_id, number, issued_on, due_on, amount_minor, currency, status, created_at,
  updated_at)
SELECT p.org_id, pg_temp.demo_id(v.issued_on + interval '9 hours'), v.client_id,
  'INV-' || to_char(v.issued_on, 'YYYY') || '-' || lpad(v.n::text, 6, '0'), v.issued_on, v.issued_on + 30, v.amount,
  p.currency, CASE WHEN v.r_void < 0.03 THEN 'void' ELSE 'open' END,
  v.issued_on + interval '9 hours', v.issued_on + interval '9 hours'
FROM voided v CROSS JOIN demo_params p ORDER BY v.n;`,
  },
  {
    name: 'payments',
    // Old invoices are mostly paid, recent ones less so; 8 % are paid in two instalments.
    sql: `
WITH x AS MATERIALIZED (
  SELECT i.id, i.issued_on, i.amount_minor, p.today - i.issued_on AS age, random() AS r_paid, random() AS r_days,
    random() AS r_partial, random() AS r_days2, pg_temp.pick(p.payment_methods) AS method
  FROM (SELECT i.* FROM invoices i JOIN demo_params p ON i.org_id = p.org_id WHERE i.status = 'open'
        ORDER BY i.number) i CROSS JOIN demo_params p
), paid AS (
  SELECT x.*, x.issued_on + floor(x.r_days * least(40, x.age + 1))::int AS first_on
  FROM x WHERE x.r_paid < CASE WHEN x.age > 45 THEN 0.93 WHEN x.age > 15 THEN 0.75 ELSE 0.3 END
), parts AS (
  SELECT paid.id, paid.first_on AS paid_on,
    CASE WHEN paid.r_partial < 0.08 THEN paid.amount_minor / 2 ELSE paid.amount_minor END AS amount,
    paid.method, CASE WHEN paid.r_partial < 0.08 THEN 'first instalment' ELSE '' END AS note
  FROM paid
  UNION ALL
  SELECT paid.id, paid.first_on + 5 + floor(paid.r_days2 * 25)::int, paid.amount_minor - paid.amount_minor / 2,
    paid.method, 'balance'
  FROM paid WHERE paid.r_partial < 0.08
)
INSERT INTO payments (org_id, id, invoice_id, paid_on, amount_minor, currency, method, note, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(parts.paid_on + interval '11 hours'), parts.id, parts.paid_on, parts.amount, p.currency,
  parts.method, parts.note, parts.paid_on + interval '11 hours', parts.paid_on + interval '11 hours'
FROM parts CROSS JOIN demo_params p
WHERE parts.paid_on <= p.today AND parts.amount > 0
ORDER BY parts.paid_on, parts.note;`,
  },
  {
    name: 'deals',
    // 1.5 per client, stages from a fixed cycle (every stage present even in the small size):
    // 35 % won, 20 % lost, the rest open and recent.
    sql: `
WITH r AS MATERIALIZED (
  SELECT i, (ARRAY['won', 'lead', 'qualified', 'won', 'proposal', 'lost', 'negotiation', 'won', 'qualified', 'lost',
                   'lead', 'won', 'proposal', 'won', 'lost', 'negotiation', 'won', 'lead', 'lost', 'proposal'])[1 + (i - 1) % 20] AS stage,
    random() AS r_created, random() AS r_close, random() AS r_client, random() AS r_amt, random() AS r_title,
    random() AS r_expect, pg_temp.pick(p.seller_ids) AS owner_id
  FROM demo_params p, generate_series(1, (p.n_clients * 3) / 2) i
), a AS (
  SELECT r.*, CASE WHEN r.stage IN ('won', 'lost')
      THEN p.t_start + r.r_created * (p.t_now - p.t_start - interval '10 days')
      ELSE p.t_now - interval '1 day' - (r.r_created * r.r_created) * interval '120 days' END AS created_at
  FROM r CROSS JOIN demo_params p
), b AS (
  SELECT a.*, CASE WHEN a.stage IN ('won', 'lost')
    THEN least(p.t_now - interval '1 hour', a.created_at + (5 + a.r_close * 80) * interval '1 day') END AS closed_at
  FROM a CROSS JOIN demo_params p
)
INSERT INTO deals (org_id, id, client_id, title, amount_minor, currency, stage, owner_id, expected_close_on, closed_at,
  created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(b.created_at),
  CASE WHEN b.stage = 'won' THEN pg_temp.nth(p.active_client_ids, b.r_client)
       WHEN b.stage IN ('lead', 'qualified') AND b.r_client < 0.5 THEN NULL
       ELSE pg_temp.nth(p.client_ids, b.r_client) END,
  pg_temp.nth(p.deal_titles, b.r_title),
  (round((1000 + b.r_amt * b.r_amt * 49000) / 100) * 100)::bigint * p.scale, p.currency, b.stage, b.owner_id,
  b.created_at::date + 20 + floor(b.r_expect * 70)::int, b.closed_at, b.created_at, coalesce(b.closed_at, b.created_at)
FROM b CROSS JOIN demo_params p ORDER BY b.created_at;`,
  },
  {
    name: 'feedback',
    // One score per completed client project, and 1–3 per client while it was active (churned
    // clients score lower).
    sql: `
WITH proj AS (
  SELECT pr.client_id, pr.id AS project_id,
    least(p.today, pr.completed_at::date + 1 + floor(random() * 20)::int) AS received_on, random() AS r_score,
    false AS churned
  FROM (SELECT pr.* FROM projects pr JOIN demo_params p ON pr.org_id = p.org_id
        WHERE pr.status = 'completed' AND pr.client_id IS NOT NULL ORDER BY pr.created_at) pr CROSS JOIN demo_params p
), cli AS (
  SELECT c.id AS client_id, NULL::uuid AS project_id,
    c.active_at::date + floor(random() * (least(coalesce(c.churned_at::date, p.today), p.today) - c.active_at::date + 1))::int
      AS received_on,
    random() AS r_score, c.churned_at IS NOT NULL AS churned
  FROM (SELECT c.*, 1 + floor(random() * 3)::int AS n
        FROM (SELECT c.* FROM clients c JOIN demo_params p0 ON c.org_id = p0.org_id
              WHERE c.active_at IS NOT NULL ORDER BY c.created_at) c) c
  CROSS JOIN demo_params p CROSS JOIN LATERAL generate_series(1, c.n) k
), s AS (
  SELECT u.*, greatest(1, pg_temp.score(u.r_score) - CASE WHEN u.churned AND u.r_score < 0.6 THEN 1 ELSE 0 END) AS score
  FROM (SELECT * FROM proj UNION ALL SELECT * FROM cli) u
)
INSERT INTO feedback (org_id, id, client_id, project_id, score, comment, received_on, created_at, updated_at)
SELECT p.org_id, pg_temp.demo_id(s.received_on + interval '14 hours'), s.client_id, s.project_id, s.score,
  CASE WHEN s.score >= 4 THEN pg_temp.nth(p.feedback_good, s.r_score)
       WHEN s.score = 3 THEN pg_temp.nth(p.feedback_neutral, s.r_score)
       ELSE pg_temp.nth(p.feedback_bad, s.r_score) END,
  s.received_on, s.received_on + interval '14 hours', s.received_on + interval '14 hours'
FROM s CROSS JOIN demo_params p ORDER BY s.received_on, s.r_score;`,
  },
];

/**
 * The audit history, planned in a temporary table: one event per thing that happened (creations,
 * status moves, comments, time entries, logins), trimmed or topped up with task edits to exactly
 * n_audit events, numbered in chronological order. Class 1 events are kept first when trimming.
 */
export const AUDIT_PLAN_SQL = `
CREATE TEMP TABLE demo_audit_src AS
WITH s AS (
  SELECT 1 AS klass, c.created_at AS at, c.owner_id AS actor, 'client.create' AS action, 'client' AS rtype, c.id::text AS rid,
    jsonb_build_object('name', jsonb_build_object('before', NULL, 'after', c.name),
                       'status', jsonb_build_object('before', NULL, 'after', 'lead')) AS changes,
    NULL::jsonb AS metadata
  FROM clients c JOIN demo_params p ON c.org_id = p.org_id
  UNION ALL
  SELECT 1, s.changed_at, s.changed_by, 'client.status_change', 'client', s.client_id::text,
    jsonb_build_object('status', jsonb_build_object('before', s.from_status, 'after', s.to_status)), NULL
  FROM client_status_changes s JOIN demo_params p ON s.org_id = p.org_id WHERE s.from_status IS NOT NULL
  UNION ALL
  SELECT 2, cc.created_at, c.owner_id, 'client_contact.create', 'client_contact', cc.id::text,
    jsonb_build_object('name', jsonb_build_object('before', NULL, 'after', cc.name),
                       'email', jsonb_build_object('before', NULL, 'after', cc.email)),
    jsonb_build_object('clientId', cc.client_id)
  FROM client_contacts cc JOIN demo_params p ON cc.org_id = p.org_id
  JOIN clients c ON c.org_id = cc.org_id AND c.id = cc.client_id
  UNION ALL
  SELECT 1, pr.created_at, pr.owner_id, 'project.create', 'project', pr.id::text,
    jsonb_build_object('name', jsonb_build_object('before', NULL, 'after', pr.name),
                       'status', jsonb_build_object('before', NULL, 'after', 'planning'),
                       'budget_minor', jsonb_build_object('before', NULL, 'after', pr.budget_minor)), NULL
  FROM projects pr JOIN demo_params p ON pr.org_id = p.org_id
  UNION ALL
  SELECT 1, least(p.t_now - interval '1 minute', greatest(pr.created_at, pr.start_date + interval '9 hours')), pr.owner_id,
    'project.status_change', 'project', pr.id::text,
    jsonb_build_object('status', jsonb_build_object('before', 'planning', 'after', 'active')), NULL
  FROM projects pr JOIN demo_params p ON pr.org_id = p.org_id WHERE pr.status <> 'planning'
  UNION ALL
  SELECT 1, CASE WHEN pr.status = 'completed' THEN pr.completed_at
                 ELSE least(p.t_now - interval '1 minute', pr.start_date + interval '10 hours'
                            + pg_temp.frac(pr.created_at) * (p.t_now - (pr.start_date + interval '10 hours'))) END,
    pr.owner_id, 'project.status_change', 'project', pr.id::text,
    jsonb_build_object('status', jsonb_build_object('before', 'active', 'after', pr.status))
      || CASE WHEN pr.status = 'completed'
           THEN jsonb_build_object('completed_at', jsonb_build_object('before', NULL, 'after', pr.completed_at))
           ELSE '{}'::jsonb END,
    NULL
  FROM projects pr JOIN demo_params p ON pr.org_id = p.org_id WHERE pr.status IN ('on_hold', 'completed', 'cancelled')
  UNION ALL
  SELECT 2, m.done_at, pr.owner_id, 'milestone.update', 'milestone', m.id::text,
    jsonb_build_object('done_at', jsonb_build_object('before', NULL, 'after', m.done_at)),
    jsonb_build_object('projectId', m.project_id)
  FROM project_milestones m JOIN demo_params p ON m.org_id = p.org_id
  JOIN projects pr ON pr.org_id = m.org_id AND pr.id = m.project_id
  WHERE m.done_at IS NOT NULL
  UNION ALL
  SELECT 2, e.created_at, e.created_by, 'expense.create', 'expense', e.id::text,
    jsonb_build_object('amount_minor', jsonb_build_object('before', NULL, 'after', e.amount_minor),
                       'category', jsonb_build_object('before', NULL, 'after', e.category)),
    jsonb_build_object('projectId', e.project_id)
  FROM project_expenses e JOIN demo_params p ON e.org_id = p.org_id
  UNION ALL
  SELECT 1, t.created_at, t.created_by, 'task.create', 'task', t.id::text,
    jsonb_build_object('title', jsonb_build_object('before', NULL, 'after', t.title),
                       'status', jsonb_build_object('before', NULL, 'after', 'pending'),
                       'priority', jsonb_build_object('before', NULL, 'after', t.priority),
                       'assignee_id', jsonb_build_object('before', NULL, 'after', t.assignee_id)),
    NULL
  FROM tasks t JOIN demo_params p ON t.org_id = p.org_id
  UNION ALL
  SELECT CASE WHEN t.status = 'completed' THEN 1 ELSE 2 END,
    CASE WHEN t.status = 'completed' THEN t.completed_at
         ELSE t.created_at + pg_temp.frac(t.created_at) * (p.t_now - t.created_at) END,
    coalesce(t.assignee_id, t.created_by), 'task.status_change', 'task', t.id::text,
    CASE t.status
      WHEN 'completed' THEN jsonb_build_object('status', jsonb_build_object('before', 'active', 'after', 'completed'),
                                               'completed_at', jsonb_build_object('before', NULL, 'after', t.completed_at))
      ELSE jsonb_build_object('status', jsonb_build_object('before', 'pending', 'after', t.status)) END,
    NULL
  FROM tasks t JOIN demo_params p ON t.org_id = p.org_id WHERE t.status <> 'pending'
  UNION ALL
  SELECT 2, c.created_at, c.author_id, 'comment.create', 'comment', c.id::text,
    jsonb_build_object('body', jsonb_build_object('before', NULL, 'after', c.body)), jsonb_build_object('taskId', c.task_id)
  FROM task_comments c JOIN demo_params p ON c.org_id = p.org_id
  UNION ALL
  SELECT 2, e.created_at, e.user_id, 'time_entry.create', 'time_entry', e.id::text,
    jsonb_build_object('minutes', jsonb_build_object('before', NULL, 'after', e.minutes),
                       'spent_on', jsonb_build_object('before', NULL, 'after', e.spent_on)),
    jsonb_build_object('taskId', e.task_id)
  FROM task_time_entries e JOIN demo_params p ON e.org_id = p.org_id
  UNION ALL
  SELECT 1, k.created_at, c.owner_id, 'contract.create', 'contract', k.id::text,
    jsonb_build_object('name', jsonb_build_object('before', NULL, 'after', k.name),
                       'amount_minor', jsonb_build_object('before', NULL, 'after', k.amount_minor),
                       'billing_interval', jsonb_build_object('before', NULL, 'after', k.billing_interval)),
    jsonb_build_object('clientId', k.client_id)
  FROM contracts k JOIN demo_params p ON k.org_id = p.org_id JOIN clients c ON c.org_id = k.org_id AND c.id = k.client_id
  UNION ALL
  -- Members sign in on about 60 % of working days, in the morning.
  SELECT 3, l.at, l.user_id, 'auth.login', 'session', pg_temp.demo_id(l.at)::text, NULL,
    jsonb_build_object('method', 'pwd', 'session', 'cookie')
  FROM (
    SELECT m.user_id, d + interval '8 hours' + random() * interval '3 hours' AS at
    FROM demo_members m CROSS JOIN demo_params p
    CROSS JOIN LATERAL generate_series(m.joined_at::date::timestamp, (p.today - 1)::timestamp, interval '1 day') d
    WHERE extract(isodow FROM d) < 6 AND random() < 0.6
  ) l
)
SELECT s.klass, s.at, coalesce(s.actor, p.admin_id) AS actor, s.action, s.rtype, s.rid, s.changes, s.metadata
FROM s CROSS JOIN demo_params p;

CREATE TEMP TABLE demo_audit AS
WITH ranked AS (
  SELECT s.*, row_number() OVER (ORDER BY s.klass, md5(s.at::text || s.action)) AS keep_rank
  FROM demo_audit_src s
), kept AS (
  SELECT ranked.klass, ranked.at, ranked.actor, ranked.action, ranked.rtype, ranked.rid, ranked.changes, ranked.metadata
  FROM ranked CROSS JOIN demo_params p WHERE ranked.keep_rank <= p.n_audit
), g AS (
  SELECT g, random() AS r_task, random() AS r_at, random() AS r_kind, random() AS r_by, random() AS r_other
  FROM demo_params p, generate_series(1, greatest(0, p.n_audit - (SELECT count(*) FROM demo_audit_src))::int) g
), filler AS (
  -- Everyday edits: reprioritised, rescheduled, reassigned tasks.
  SELECT 4 AS klass, t.created_at + g.r_at * (t.until - t.created_at) AS at,
    CASE WHEN g.r_by < 0.5 THEN coalesce(t.assignee_id, t.created_by) ELSE t.created_by END AS actor,
    'task.update' AS action, 'task' AS rtype, t.id::text AS rid,
    CASE
      WHEN g.r_kind < 0.45 OR (g.r_kind < 0.75 AND t.due_date IS NULL) THEN jsonb_build_object('priority', jsonb_build_object(
        'before', (ARRAY['low', 'medium', 'high', 'urgent'])[1 + (array_position(ARRAY['low', 'medium', 'high', 'urgent'], t.priority)
                    + floor(g.r_other * 3)::int) % 4],
        'after', t.priority))
      WHEN g.r_kind < 0.75 THEN jsonb_build_object('due_date', jsonb_build_object(
        'before', t.due_date - (1 + floor(g.r_other * 14)::int), 'after', t.due_date))
      ELSE jsonb_build_object('assignee_id', jsonb_build_object('before', pg_temp.nth(p.member_ids, g.r_other),
                                                                'after', t.assignee_id))
    END AS changes,
    NULL::jsonb AS metadata
  FROM g CROSS JOIN demo_params p JOIN demo_tasks t ON t.ord = 1 + floor(g.r_task * p.n_tasks)::int
), u AS (
  SELECT * FROM kept UNION ALL SELECT * FROM filler
), numbered AS (
  SELECT u.*, row_number() OVER (ORDER BY u.at, u.klass, u.action, u.rid) AS n FROM u
)
SELECT numbered.n, numbered.actor, m.email AS actor_label, numbered.action, numbered.rtype, numbered.rid, numbered.changes,
  coalesce(numbered.metadata, '{}'::jsonb) || jsonb_build_object('demoAt', numbered.at) AS metadata,
  m.ip, m.user_agent, md5(numbered.n || ' ' || numbered.at)::uuid::text AS request_id, numbered.at
FROM numbered LEFT JOIN demo_members m ON m.user_id = numbered.actor
ORDER BY numbered.n;
CREATE UNIQUE INDEX ON demo_audit (n);

-- Members last signed in at their latest planned login.
UPDATE users u SET last_login_at = l.at
FROM (SELECT actor, max(at) AS at FROM demo_audit WHERE action = 'auth.login' GROUP BY actor) l
WHERE u.id = l.actor;`;

/**
 * $1 < n ≤ $2 of the planned events, in order, so the chain trigger numbers and links them
 * chronologically (it also stamps created_at with the insert time; metadata.demoAt keeps the
 * simulated time). Run each batch in its own transaction: the trigger updates the chain head once
 * per row, and within one transaction those updates pile up into a chain of row versions that
 * every later row has to walk (30,000 rows in one transaction take ~15 times as long as 3 × 10,000).
 */
export const AUDIT_BATCH_SQL = `
INSERT INTO audit_events (org_id, id, seq, created_at, actor_type, actor_id, actor_label, action, outcome, resource_type,
  resource_id, changes, metadata, ip, user_agent, request_id, prev_hash, hash)
SELECT p.org_id, pg_temp.demo_id(clock_timestamp()), 0, clock_timestamp(), 'user', a.actor, a.actor_label, a.action,
  'success', a.rtype, a.rid, a.changes, a.metadata, a.ip, a.user_agent, a.request_id, '', ''
FROM demo_audit a CROSS JOIN demo_params p
WHERE a.n > $1 AND a.n <= $2
ORDER BY a.n`;

/** The tables the demo fills (VACUUM ANALYZE after loading; counted in the summary). */
export const DEMO_TABLES = [
  'departments',
  'memberships',
  'clients',
  'client_status_changes',
  'client_contacts',
  'projects',
  'project_milestones',
  'project_expenses',
  'tasks',
  'task_time_entries',
  'task_comments',
  'task_watchers',
  'contracts',
  'invoices',
  'payments',
  'deals',
  'feedback',
  'audit_events',
] as const;

/**
 * Removes an organization ($1) with everything in it and its audit chain. The big tables go first,
 * children before parents, so the cascades from the organization row find little left to do row by row.
 */
export const RESET_STATEMENTS = [
  ...[
    'task_watchers',
    'task_comments',
    'task_time_entries',
    'task_attachments',
    'tasks',
    'project_milestones',
    'project_expenses',
    'feedback',
    'payments',
    'invoices',
    'contracts',
    'deals',
    'projects',
    'client_contacts',
    'client_status_changes',
    'clients',
    'audit_events',
    'audit_chain_heads',
  ].map((t) => `DELETE FROM ${t} WHERE org_id = $1`),
  'DELETE FROM organizations WHERE id = $1',
];

/** Demo accounts ($1: the demo e-mail domain) that belong to no organization any more. */
export const RESET_USERS_SQL = `
DELETE FROM users u
WHERE lower(u.email) LIKE '%@' || $1 AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)`;
