-- Ticks claimed by loops that every process runs but that must act once per tick across the
-- cluster (alert evaluation every 15 s, health checks every 30 s: finer than graphile-worker's
-- one-minute crontab). Each process that reaches a tick tries to insert its row; the one whose
-- insert lands runs it, the others skip (src/platform/jobs/tick-loop.ts). Platform data, not a
-- tenant table: no org_id, no row-level security (like graphile-worker's own tables).
CREATE TABLE bul_ticks (
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  tick timestamptz NOT NULL,
  -- host:pid of the process that ran it (for an operator reading the table).
  claimed_by text NOT NULL,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, tick)
);
GRANT SELECT, INSERT, DELETE ON bul_ticks TO bul_runtime;
