-- Work management (clients, projects, milestones, expenses, tasks and what hangs off them) and
-- business data (contracts, invoices, payments, deals, feedback) that the executive KPIs read.
-- Same conventions as 0001: org_id first in every key, foreign keys carry org_id, RLS on every
-- table, bul_touch keeps updated_at/version moving. Money is integer minor units + ISO currency.

-- The currency an organization keeps its books in; money written to it must be in this currency.
ALTER TABLE organizations ADD COLUMN currency text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$');

---------------------------------------------------------------------------------------------------
-- Clients and their contacts
CREATE TABLE clients (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status text NOT NULL CHECK (status IN ('lead', 'active', 'churned')),
  owner_id uuid,
  email text CHECK (length(email) <= 254),
  phone text CHECK (length(phone) <= 40),
  website text CHECK (length(website) <= 500),
  notes text NOT NULL DEFAULT '' CHECK (length(notes) <= 20000),
  tags text[] NOT NULL DEFAULT '{}',
  -- When the client last entered each status (the full history is in client_status_changes).
  lead_at timestamptz,
  active_at timestamptz,
  churned_at timestamptz,
  search tsvector GENERATED ALWAYS AS (
    to_tsvector('simple', name || ' ' || coalesce(email, '') || ' ' || notes)) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, owner_id) REFERENCES memberships (org_id, user_id) ON DELETE SET NULL (owner_id)
);
CREATE INDEX clients_status_idx ON clients (org_id, status, created_at, id);
CREATE INDEX clients_owner_idx ON clients (org_id, owner_id);
CREATE INDEX clients_search_idx ON clients USING gin (search);
CREATE INDEX clients_tags_idx ON clients USING gin (tags);
CREATE INDEX clients_name_idx ON clients (org_id, lower(name), id);
CREATE INDEX clients_created_idx ON clients (org_id, created_at, id);

CREATE TABLE client_status_changes (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  client_id uuid NOT NULL,
  from_status text CHECK (from_status IN ('lead', 'active', 'churned')),
  to_status text NOT NULL CHECK (to_status IN ('lead', 'active', 'churned')),
  changed_at timestamptz NOT NULL DEFAULT now(),
  changed_by uuid REFERENCES users (id) ON DELETE SET NULL,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id) ON DELETE CASCADE
);
CREATE INDEX client_status_changes_client_idx ON client_status_changes (org_id, client_id, changed_at);
CREATE INDEX client_status_changes_time_idx ON client_status_changes (org_id, changed_at);

CREATE TABLE client_contacts (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  client_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  title text NOT NULL DEFAULT '' CHECK (length(title) <= 200),
  email text CHECK (length(email) <= 254),
  phone text CHECK (length(phone) <= 40),
  whatsapp text CHECK (whatsapp ~ '^\+[1-9][0-9]{6,14}$'),
  messaging_consent boolean NOT NULL DEFAULT false,
  consent_at timestamptz,
  consent_source text CHECK (length(consent_source) <= 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id) ON DELETE CASCADE,
  -- Consent is only meaningful with when and where it was given.
  CHECK (NOT messaging_consent OR (consent_at IS NOT NULL AND consent_source IS NOT NULL))
);
CREATE INDEX client_contacts_client_idx ON client_contacts (org_id, client_id);

---------------------------------------------------------------------------------------------------
-- Projects, milestones, expenses
CREATE TABLE projects (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 50000),
  status text NOT NULL DEFAULT 'planning'
    CHECK (status IN ('planning', 'active', 'on_hold', 'completed', 'cancelled')),
  client_id uuid,
  owner_id uuid,
  department_id uuid,
  tags text[] NOT NULL DEFAULT '{}',
  budget_minor bigint CHECK (budget_minor >= 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  start_date date,
  due_date date,
  progress_override smallint CHECK (progress_override BETWEEN 0 AND 100),
  completed_at timestamptz,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple', name || ' ' || description)) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id) ON DELETE SET NULL (client_id),
  FOREIGN KEY (org_id, owner_id) REFERENCES memberships (org_id, user_id) ON DELETE SET NULL (owner_id),
  FOREIGN KEY (org_id, department_id) REFERENCES departments (org_id, id) ON DELETE SET NULL (department_id),
  CHECK (due_date IS NULL OR start_date IS NULL OR due_date >= start_date),
  CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
CREATE INDEX projects_status_idx ON projects (org_id, status, created_at, id);
CREATE INDEX projects_client_idx ON projects (org_id, client_id);
CREATE INDEX projects_owner_idx ON projects (org_id, owner_id);
CREATE INDEX projects_due_idx ON projects (org_id, due_date);
CREATE INDEX projects_created_idx ON projects (org_id, created_at, id);
CREATE INDEX projects_name_idx ON projects (org_id, lower(name), id);
CREATE INDEX projects_search_idx ON projects USING gin (search);
CREATE INDEX projects_tags_idx ON projects USING gin (tags);

CREATE TABLE project_milestones (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  project_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  due_date date,
  done_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX project_milestones_project_idx ON project_milestones (org_id, project_id, due_date);

CREATE TABLE project_expenses (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  project_id uuid NOT NULL,
  spent_on date NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  category text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX project_expenses_project_idx ON project_expenses (org_id, project_id, spent_on);

---------------------------------------------------------------------------------------------------
-- Tasks and what hangs off them
CREATE TABLE tasks (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  project_id uuid NOT NULL,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 50000),
  assignee_id uuid,
  priority text NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'completed', 'cancelled')),
  tags text[] NOT NULL DEFAULT '{}',
  due_date date,
  estimate_minutes integer CHECK (estimate_minutes BETWEEN 0 AND 1000000),
  completed_at timestamptz,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, assignee_id) REFERENCES memberships (org_id, user_id) ON DELETE SET NULL (assignee_id),
  CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);
CREATE INDEX tasks_project_idx ON tasks (org_id, project_id, status, id);
CREATE INDEX tasks_assignee_idx ON tasks (org_id, assignee_id, status, id);
-- Filter indexes end with the default sort (newest first), so a filtered first page reads ~50 rows.
CREATE INDEX tasks_status_idx ON tasks (org_id, status, created_at, id);
CREATE INDEX tasks_due_idx ON tasks (org_id, due_date) WHERE status IN ('pending', 'active');
CREATE INDEX tasks_created_idx ON tasks (org_id, created_at, id);
-- "My tasks by due date" and due-date ranges (the list's dueDate sort key is this expression).
CREATE INDEX tasks_assignee_due_idx ON tasks (org_id, assignee_id, (coalesce(due_date, 'infinity'::date)), id);
CREATE INDEX tasks_due_sort_idx ON tasks (org_id, (coalesce(due_date, 'infinity'::date)), id);
CREATE INDEX tasks_priority_idx ON tasks (org_id, priority, created_at, id);
CREATE INDEX tasks_completed_idx ON tasks (org_id, completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX tasks_search_idx ON tasks USING gin (search);
CREATE INDEX tasks_tags_idx ON tasks USING gin (tags);

CREATE TABLE task_time_entries (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  task_id uuid NOT NULL,
  user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  spent_on date NOT NULL,
  minutes integer NOT NULL CHECK (minutes BETWEEN 1 AND 1440),
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, task_id) REFERENCES tasks (org_id, id) ON DELETE CASCADE
);
CREATE INDEX task_time_entries_task_idx ON task_time_entries (org_id, task_id, spent_on);

CREATE TABLE task_comments (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  task_id uuid NOT NULL,
  author_id uuid REFERENCES users (id) ON DELETE SET NULL,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, task_id) REFERENCES tasks (org_id, id) ON DELETE CASCADE
);
CREATE INDEX task_comments_task_idx ON task_comments (org_id, task_id, id);

CREATE TABLE task_watchers (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  task_id uuid NOT NULL,
  user_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, task_id, user_id),
  FOREIGN KEY (org_id, task_id) REFERENCES tasks (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);

CREATE TABLE task_attachments (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  task_id uuid NOT NULL,
  file_name text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
  content_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, task_id) REFERENCES tasks (org_id, id) ON DELETE CASCADE
);
CREATE INDEX task_attachments_task_idx ON task_attachments (org_id, task_id, id);

---------------------------------------------------------------------------------------------------
-- Business data
CREATE TABLE contracts (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  client_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  billing_interval text NOT NULL CHECK (billing_interval IN ('month', 'year')),
  start_date date NOT NULL,
  end_date date,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id) ON DELETE CASCADE,
  CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX contracts_client_idx ON contracts (org_id, client_id);
CREATE INDEX contracts_period_idx ON contracts (org_id, start_date, end_date);

CREATE TABLE invoices (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  client_id uuid NOT NULL,
  number text NOT NULL CHECK (length(number) BETWEEN 1 AND 50),
  issued_on date NOT NULL,
  due_on date NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'void')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, number),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id) ON DELETE CASCADE,
  CHECK (due_on >= issued_on)
);
CREATE INDEX invoices_client_idx ON invoices (org_id, client_id);

CREATE TABLE payments (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  invoice_id uuid NOT NULL,
  paid_on date NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  method text NOT NULL DEFAULT '' CHECK (length(method) <= 50),
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, invoice_id) REFERENCES invoices (org_id, id) ON DELETE CASCADE
);
CREATE INDEX payments_invoice_idx ON payments (org_id, invoice_id);
CREATE INDEX payments_paid_idx ON payments (org_id, paid_on);

CREATE TABLE deals (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  client_id uuid,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  amount_minor bigint NOT NULL DEFAULT 0 CHECK (amount_minor >= 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  stage text NOT NULL DEFAULT 'lead'
    CHECK (stage IN ('lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
  owner_id uuid,
  expected_close_on date,
  closed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id) ON DELETE SET NULL (client_id),
  FOREIGN KEY (org_id, owner_id) REFERENCES memberships (org_id, user_id) ON DELETE SET NULL (owner_id),
  CHECK ((stage IN ('won', 'lost')) = (closed_at IS NOT NULL))
);
CREATE INDEX deals_stage_idx ON deals (org_id, stage, id);
CREATE INDEX deals_closed_idx ON deals (org_id, closed_at) WHERE closed_at IS NOT NULL;

CREATE TABLE feedback (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  client_id uuid,
  project_id uuid,
  score smallint NOT NULL CHECK (score BETWEEN 1 AND 5),
  comment text NOT NULL DEFAULT '' CHECK (length(comment) <= 5000),
  received_on date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, client_id) REFERENCES clients (org_id, id) ON DELETE CASCADE,
  FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
  CHECK (client_id IS NOT NULL OR project_id IS NOT NULL)
);
CREATE INDEX feedback_received_idx ON feedback (org_id, received_on);

---------------------------------------------------------------------------------------------------
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['clients', 'client_status_changes', 'client_contacts', 'projects', 'project_milestones',
    'project_expenses', 'tasks', 'task_time_entries', 'task_comments', 'task_watchers', 'task_attachments',
    'contracts', 'invoices', 'payments', 'deals', 'feedback'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org()) WITH CHECK (org_id = bul_current_org())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
    IF t NOT IN ('client_status_changes', 'task_watchers') THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION bul_touch()', t || '_touch', t);
    END IF;
  END LOOP;
END $$;
-- History rows are written once and never changed.
REVOKE UPDATE ON client_status_changes FROM bul_runtime;

-- Under row-level security PostgreSQL only turns a filter into an index condition when its
-- function is LEAKPROOF; the full-text match (@@) and array containment (@>) that list filters
-- use are not marked so by default, which would leave the GIN search and tag indexes unused.
-- Neither function reveals anything through its errors. Only a superuser may mark them; on a
-- server where the migrating role is not one, lists still work, with slower searches.
DO $$
BEGIN
  ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;
  ALTER FUNCTION arraycontains(anyarray, anyarray) LEAKPROOF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'not a superuser: full-text and tag filters will not use their indexes under row-level security';
END $$;
