-- Outbound webhooks (src/modules/webhooks): endpoints an organization's admins register, one
-- delivery per (endpoint, domain event), and one row per attempt of a delivery (the delivery log).
-- Tenant tables like the others: primary key (org_id, id), row-level security on app.org_id.

CREATE TABLE webhook_endpoints (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  url text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  event_types text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 100),
  enabled boolean NOT NULL DEFAULT true,
  -- 'failing' when BUL disabled it after failing continuously for days; NULL when enabled or by hand.
  disabled_reason text CHECK (disabled_reason IN ('manual', 'failing')),
  -- The signing secret (whsec_...), sealed with the master key (SecretBox).
  secret_sealed text NOT NULL,
  -- First failed attempt since the last success; cleared by a success.
  failing_since timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id)
);

CREATE TABLE webhook_deliveries (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  endpoint_id uuid NOT NULL,
  -- The domain event: its id is the message id (webhook-id), the same for every attempt.
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  event jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- Attempts made before the current round of retries (a resend starts a new round).
  round_start integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_status_code integer,
  last_error_class text,
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (org_id, id),
  -- Fan-out is idempotent: an event handled twice makes no second delivery.
  UNIQUE (org_id, endpoint_id, event_id),
  FOREIGN KEY (org_id, endpoint_id) REFERENCES webhook_endpoints (org_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (org_id, endpoint_id, id DESC);

CREATE TABLE webhook_delivery_attempts (
  org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  id uuid NOT NULL,
  delivery_id uuid NOT NULL,
  attempt integer NOT NULL CHECK (attempt >= 1),
  started_at timestamptz NOT NULL,
  status_code integer,
  latency_ms integer NOT NULL,
  response_excerpt text NOT NULL DEFAULT '',
  response_truncated boolean NOT NULL DEFAULT false,
  error_class text,
  next_attempt_at timestamptz,
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, delivery_id, attempt),
  FOREIGN KEY (org_id, delivery_id) REFERENCES webhook_deliveries (org_id, id) ON DELETE CASCADE
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['webhook_endpoints', 'webhook_deliveries', 'webhook_delivery_attempts'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I USING (org_id = bul_current_org()) WITH CHECK (org_id = bul_current_org())', t || '_tenant', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO bul_runtime', t);
    IF t <> 'webhook_delivery_attempts' THEN
      EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION bul_touch()', t || '_touch', t);
    END IF;
  END LOOP;
END $$;
-- The log of attempts is written once and never changed.
REVOKE UPDATE ON webhook_delivery_attempts FROM bul_runtime;
