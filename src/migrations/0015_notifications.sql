-- Notifications (src/modules/notifications): channels with their providers, templates with immutable
-- versions, rules, per-user preferences, quiet hours and addresses, one row per notification
-- (recipient × channel) with its attempts, provider callbacks' inbound replies, and the state of the
-- daily due-soon scan. Tenant tables like the others: primary key (org_id, ...), row-level security
-- on app.org_id. Delivery runners claim across organizations through SECURITY DEFINER functions.

CREATE TABLE notification_channels (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('email', 'sms', 'push', 'webhook', 'slack', 'teams', 'discord', 'whatsapp')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  -- Order of providers of one kind: 1 first; the next takes over when one fails (failover).
  position smallint NOT NULL CHECK (position BETWEEN 1 AND 9),
  config jsonb NOT NULL DEFAULT '{}',
  -- The provider's credentials as JSON, sealed with the master key (SecretBox); never answered.
  secrets_sealed text,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, kind, position) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE notification_templates (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  event_type text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 100),
  channel text NOT NULL,
  language text NOT NULL CHECK (language IN ('en', 'es', 'pt-BR')),
  -- The version sent; publishing an older one is a rollback. NULL: none published (built-in used).
  published_version integer,
  latest_version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, event_type, channel, language)
);

CREATE TABLE notification_template_versions (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  template_id uuid NOT NULL,
  number integer NOT NULL CHECK (number >= 1),
  subject text CHECK (length(subject) <= 1000),
  body text NOT NULL CHECK (length(body) <= 20000),
  whatsapp_template jsonb,
  note text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, template_id, number),
  FOREIGN KEY (org_id, template_id) REFERENCES notification_templates (org_id, id) ON DELETE CASCADE
);

CREATE TABLE notification_rules (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  event_type text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 100),
  -- [{ "kind": "assignee" | "watchers" | "project_owner" | "subject_user" | "role" | "department"
  --    | "permission" | "users" | "client_contacts", ... }]
  recipients jsonb NOT NULL,
  channels text[] NOT NULL CHECK (cardinality(channels) BETWEEN 1 AND 9),
  priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('critical', 'high', 'normal', 'low')),
  notify_actor boolean NOT NULL DEFAULT false,
  enabled boolean NOT NULL DEFAULT true,
  -- The built-in rule this row is (installed per organization, tunable); NULL for an org's own.
  builtin_key text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, builtin_key)
);
CREATE INDEX notification_rules_event_idx ON notification_rules (org_id, event_type) WHERE enabled;

-- Per-user choices: an event type ('*': any) × a channel ('*': any), on or off; the most specific wins.
CREATE TABLE notification_preferences (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  event_type text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 100),
  channel text NOT NULL CHECK (length(channel) BETWEEN 1 AND 20),
  enabled boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id, event_type, channel),
  -- A member who leaves takes their choices along.
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);

-- Quiet hours in the user's time zone (NULL: the organization's).
CREATE TABLE notification_user_settings (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  timezone text,
  quiet_start text CHECK (quiet_start ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  quiet_end text CHECK (quiet_end ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id),
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE,
  CHECK ((quiet_start IS NULL) = (quiet_end IS NULL))
);

-- A user's addresses on channels without one in their account: phone numbers (sms, whatsapp) and
-- push registration tokens (one per device).
CREATE TABLE notification_addresses (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  channel text NOT NULL CHECK (channel IN ('sms', 'whatsapp', 'push')),
  address text NOT NULL CHECK (length(address) BETWEEN 1 AND 4096),
  label text NOT NULL DEFAULT '' CHECK (length(label) <= 100),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, user_id, channel, address),
  FOREIGN KEY (org_id, user_id) REFERENCES memberships (org_id, user_id) ON DELETE CASCADE
);

-- Client contacts who unsubscribed from a channel (users' opt-outs are preferences).
CREATE TABLE notification_contact_opt_outs (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL,
  channel text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, contact_id, channel)
);

CREATE TABLE notifications (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  -- Unique per organization: the same event, rule, recipient and channel never notify twice.
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 300),
  source text NOT NULL CHECK (source IN ('rule', 'send', 'broadcast', 'test')),
  batch_id uuid,
  event_id uuid,
  event_type text NOT NULL,
  rule_id uuid,
  recipient_user_id uuid,
  recipient_contact_id uuid,
  recipient_name text,
  address text,
  channel text NOT NULL,
  priority text NOT NULL CHECK (priority IN ('critical', 'high', 'normal', 'low')),
  -- 0 critical … 3 low: the order runners claim in.
  priority_rank smallint NOT NULL CHECK (priority_rank BETWEEN 0 AND 3),
  language text NOT NULL,
  subject text,
  body text NOT NULL DEFAULT '',
  html text,
  whatsapp_template jsonb,
  data jsonb NOT NULL DEFAULT '{}',
  template_id uuid,
  template_version integer,
  status text NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'skipped', 'dead')),
  skip_reason text,
  -- Provider calls made (every attempt row), and rounds (each tries the channel's providers in turn).
  attempts integer NOT NULL DEFAULT 0,
  rounds integer NOT NULL DEFAULT 0,
  -- Rounds before the current series of retries (a replay from the dead letter starts a new one).
  round_start integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  -- Quiet hours held it until then (informational; next_attempt_at is what runners read).
  held_until timestamptz,
  -- A runner that claimed it owns it until then; past it, another runner takes it (a crashed worker).
  lease_until timestamptz,
  -- Drawn at each claim: only the runner holding the current claim may settle the notification.
  claim_token uuid,
  channel_id uuid,
  provider_message_id text,
  last_error text,
  last_status_code integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  delivered_at timestamptz,
  read_at timestamptz,
  failed_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, idempotency_key)
);
-- What runners claim, in priority order, across organizations.
CREATE INDEX notifications_due_idx ON notifications (priority_rank, next_attempt_at) WHERE status = 'queued';
CREATE INDEX notifications_leased_idx ON notifications (lease_until) WHERE status = 'sending';
CREATE INDEX notifications_inbox_idx ON notifications (org_id, recipient_user_id, id DESC) WHERE channel = 'in_app';
CREATE INDEX notifications_log_idx ON notifications (org_id, id DESC);
CREATE INDEX notifications_provider_id_idx ON notifications (org_id, provider_message_id) WHERE provider_message_id IS NOT NULL;
-- Analytics: an organization's notifications by day.
CREATE INDEX notifications_created_idx ON notifications (org_id, created_at);

CREATE TABLE notification_attempts (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  notification_id uuid NOT NULL,
  attempt integer NOT NULL CHECK (attempt >= 1),
  channel_id uuid,
  provider text NOT NULL,
  started_at timestamptz NOT NULL,
  latency_ms integer NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('sent', 'retry', 'provider_failed', 'rejected')),
  status_code integer,
  error_code text,
  error text,
  provider_message_id text,
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, notification_id) REFERENCES notifications (org_id, id) ON DELETE CASCADE
);
CREATE INDEX notification_attempts_of_idx ON notification_attempts (org_id, notification_id, attempt);

-- Replies recipients sent back (WhatsApp), matched to the notification they answer when possible.
CREATE TABLE notification_inbound (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  channel_id uuid NOT NULL,
  provider_message_id text NOT NULL,
  from_address text NOT NULL,
  text text NOT NULL DEFAULT '',
  notification_id uuid,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, channel_id, provider_message_id)
);
CREATE INDEX notification_inbound_notification_idx ON notification_inbound (org_id, notification_id);

-- The daily scans per organization (due soon): the last local date each ran for.
CREATE TABLE notification_scans (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  kind text NOT NULL,
  last_local_date date NOT NULL,
  PRIMARY KEY (org_id, kind)
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['notification_channels', 'notification_templates', 'notification_template_versions',
    'notification_rules', 'notification_preferences', 'notification_user_settings', 'notification_addresses',
    'notification_contact_opt_outs', 'notifications', 'notification_attempts', 'notification_inbound',
    'notification_scans'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org()) WITH CHECK (org_id = bul_current_org())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
  END LOOP;
  -- Not notifications: it has no version, and its hot updates set updated_at themselves.
  FOREACH t IN ARRAY ARRAY['notification_channels', 'notification_templates', 'notification_rules'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION bul_touch()', t || '_touch', t);
  END LOOP;
END $$;
-- Template versions and attempts are written once and never changed.
REVOKE UPDATE ON notification_template_versions, notification_attempts FROM bul_runtime;

-- Runners claim due notifications across organizations, highest priority first, each row by one
-- runner (SKIP LOCKED), leased for p_lease_seconds; rows whose lease ran out (the runner died) are
-- claimable again. Returns the claimed rows whole (what the runner sends needs no other read);
-- the runner records each outcome in the row's tenant context.
CREATE FUNCTION bul_notifications_claim(p_min_rank smallint, p_max_rank smallint, p_limit integer, p_lease_seconds integer)
RETURNS SETOF notifications
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH due AS (
    SELECT n.org_id, n.id FROM notifications n
    WHERE (n.status = 'queued' AND n.next_attempt_at <= now() AND n.priority_rank BETWEEN p_min_rank AND p_max_rank)
    ORDER BY n.priority_rank, n.next_attempt_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  ), expired AS (
    SELECT n.org_id, n.id FROM notifications n
    WHERE n.status = 'sending' AND n.lease_until < now() AND n.priority_rank BETWEEN p_min_rank AND p_max_rank
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  )
  UPDATE notifications n SET status = 'sending', lease_until = now() + make_interval(secs => p_lease_seconds),
    claim_token = gen_random_uuid()
  FROM (SELECT * FROM due UNION SELECT * FROM expired LIMIT p_limit) c
  WHERE n.org_id = c.org_id AND n.id = c.id
  RETURNING n.*
$$;
REVOKE ALL ON FUNCTION bul_notifications_claim(smallint, smallint, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_notifications_claim(smallint, smallint, integer, integer) TO bul_runtime;

-- The soonest moment a lane (its priorities) has work: a due retry, the end of quiet hours, an
-- expired lease. A lane that takes only critical notifications must not wake for a low backlog.
CREATE FUNCTION bul_notifications_next_due(p_min_rank smallint, p_max_rank smallint) RETURNS timestamptz
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT least(
    (SELECT min(next_attempt_at) FROM notifications
      WHERE status = 'queued' AND priority_rank BETWEEN p_min_rank AND p_max_rank),
    (SELECT min(lease_until) FROM notifications
      WHERE status = 'sending' AND priority_rank BETWEEN p_min_rank AND p_max_rank))
$$;
REVOKE ALL ON FUNCTION bul_notifications_next_due(smallint, smallint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_notifications_next_due(smallint, smallint) TO bul_runtime;

-- The organizations (active) a scan job walks; the scan itself runs in each one's tenant context.
CREATE FUNCTION bul_notification_scan_orgs() RETURNS TABLE (id uuid, timezone text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id, o.timezone FROM organizations o WHERE o.status = 'active'
$$;
REVOKE ALL ON FUNCTION bul_notification_scan_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_notification_scan_orgs() TO bul_runtime;

-- A provider's callback names a channel by id; its organization is found here (the callback has no
-- tenant context yet). The id is a random UUID in a URL only the provider knows.
CREATE FUNCTION bul_notification_channel_org(p_channel uuid) RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT org_id FROM notification_channels WHERE id = p_channel
$$;
REVOKE ALL ON FUNCTION bul_notification_channel_org(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bul_notification_channel_org(uuid) TO bul_runtime;

-- The new permissions reach the built-in roles of organizations that exist already.
UPDATE roles SET permissions = permissions || ARRAY['notifications:manage', 'notifications:send']
  WHERE key = 'org_admin' AND NOT permissions @> ARRAY['notifications:manage'];
UPDATE roles SET permissions = permissions || ARRAY['notifications:send']
  WHERE key = 'manager' AND NOT permissions @> ARRAY['notifications:send'];
