-- Backups (issue 18): the runs, their schedules, the installation's backup settings and the
-- restores (applied restores, verifications and drills). Platform tables: no org_id, no row-level
-- security; only super admins reach them through the API (backups:manage), org admins read runs
-- and their own organization's restores through the service's checks. Excluded from backups.

CREATE TABLE backup_runs (
  id uuid PRIMARY KEY,
  type text NOT NULL CHECK (type IN ('full', 'incremental', 'differential', 'critical')),
  trigger text NOT NULL CHECK (trigger IN ('manual', 'schedule', 'safety', 'cli')),
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  parent_id uuid,
  base_full_id uuid,
  target text,
  copy_status text,
  manifest jsonb,
  progress jsonb,
  error_code text,
  error_message text,
  attempt integer NOT NULL DEFAULT 1,
  requested_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  heartbeat_at timestamptz,             -- written every 20 s while it runs; a stale one is failed
  finished_at timestamptz,
  duration_ms bigint,
  rows bigint,
  plain_bytes bigint,
  stored_bytes bigint,
  verify_status text CHECK (verify_status IN ('pending', 'passed', 'failed')),
  verify_detail jsonb,
  verified_at timestamptz,
  expires_at timestamptz,
  pinned boolean NOT NULL DEFAULT false,
  -- a scheduled occurrence is run once whichever worker queued it
  occurrence text UNIQUE
);
CREATE INDEX backup_runs_created ON backup_runs (created_at DESC, id DESC);
CREATE INDEX backup_runs_status ON backup_runs (status) WHERE status IN ('queued', 'running');

CREATE TABLE backup_schedules (
  type text PRIMARY KEY CHECK (type IN ('full', 'incremental', 'differential', 'critical')),
  cron text NOT NULL,
  time_zone text NOT NULL DEFAULT 'UTC',
  enabled boolean NOT NULL DEFAULT true,
  retries integer NOT NULL DEFAULT 2 CHECK (retries BETWEEN 0 AND 10),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO backup_schedules (type, cron, time_zone, enabled, retries) VALUES
  ('full', '0 2 * * 0', 'UTC', true, 2),
  ('incremental', '0 2 * * 1-6', 'UTC', true, 2),
  ('differential', '0 3 * * *', 'UTC', false, 2),
  ('critical', '30 */6 * * *', 'UTC', true, 2);

CREATE TABLE backup_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  keep_last integer NOT NULL DEFAULT 7 CHECK (keep_last >= 1),
  keep_daily integer NOT NULL DEFAULT 7 CHECK (keep_daily >= 0),
  keep_weekly integer NOT NULL DEFAULT 4 CHECK (keep_weekly >= 0),
  keep_monthly integer NOT NULL DEFAULT 6 CHECK (keep_monthly >= 0),
  verify_after_backup boolean NOT NULL DEFAULT true,
  critical_tables text[] NOT NULL DEFAULT ARRAY['plans', 'organizations', 'users', 'roles',
    'departments', 'memberships', 'api_keys', 'clients', 'client_contacts', 'contracts', 'invoices', 'payments']::text[],
  org_restore text NOT NULL DEFAULT 'dry_run' CHECK (org_restore IN ('disabled', 'dry_run', 'enabled')),
  drill_cron text NOT NULL DEFAULT '0 4 1 * *',
  drill_time_zone text NOT NULL DEFAULT 'UTC',
  drill_enabled boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO backup_settings DEFAULT VALUES;

CREATE TABLE backup_restores (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('restore', 'drill', 'verify')),
  backup_id uuid NOT NULL,
  scope jsonb,
  -- the organization of an organization restore (named apart from tenant tables' org_id: no RLS here)
  organization_id uuid,
  dry_run boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  report jsonb,
  safety_backup_id uuid,
  rto_ms bigint,
  requested_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  heartbeat_at timestamptz,             -- written every 20 s while it runs; a stale one is failed
  finished_at timestamptz,
  error_code text,
  error_message text
);
-- One applied restore at a time, whoever asks (API, CLI): two racing requests cannot both pass the check.
CREATE UNIQUE INDEX backup_restores_one_active ON backup_restores ((true))
  WHERE kind = 'restore' AND NOT dry_run AND status IN ('queued', 'running');
CREATE INDEX backup_restores_created ON backup_restores (created_at DESC, id DESC);
CREATE INDEX backup_restores_org ON backup_restores (organization_id, created_at DESC)
  WHERE organization_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE, DELETE ON backup_runs, backup_schedules, backup_settings, backup_restores
  TO bul_runtime;
