-- graphile-worker's workers, one row per worker id, with a heartbeat that the process running
-- them renews (src/platform/jobs/liveness.ts). graphile-worker itself frees the jobs of a worker
-- that died without stopping (kill -9, a lost machine) only after 4 hours; BUL's live workers
-- free them (force_unlock_workers) once the dead worker's heartbeat is older than the bound
-- (3 × JOB_WORKER_HEARTBEAT_SECONDS). Operational data like bul_ticks: no org_id, no row-level
-- security, never backed up (src/platform/backup/catalog.ts).
CREATE TABLE bul_job_workers (
  worker_id text PRIMARY KEY CHECK (length(worker_id) BETWEEN 1 AND 200),
  -- host:pid of the process running it (for an operator reading the table).
  process text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bul_job_workers_heartbeat ON bul_job_workers (heartbeat_at);
GRANT SELECT, INSERT, UPDATE, DELETE ON bul_job_workers TO bul_runtime;
