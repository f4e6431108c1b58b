-- Per-request rate-limit counters (per IP, per user) shared by several processes without Redis
-- (src/platform/http/synced-counters.ts). Each process counts locally and adds its per-key counts
-- here in one statement every RATE_LIMIT_SYNC_INTERVAL, reading the cluster's totals back from
-- the same statement. One row per key and fixed window, the window named by its end (epoch ms),
-- so every process agrees on it without asking.
--
-- UNLOGGED: these writes produce no WAL, so their commits never wait for a WAL flush (as with
-- synchronous_commit = off) and the table does not reach replicas. A crash of the database server
-- empties it: the counts of at most one window (a minute) start again from zero.
-- Login-class limits and lockouts stay exact in rate_limits (0001), one statement per check.
CREATE UNLOGGED TABLE rate_limit_counters (
  key text NOT NULL,
  window_end bigint NOT NULL,
  points integer NOT NULL,
  PRIMARY KEY (key, window_end)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_counters TO bul_runtime;

-- The hourly housekeeping job also drops ended windows.
CREATE OR REPLACE FUNCTION bul_cleanup_expired() RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE sessions_deleted bigint; limits_deleted bigint; counters_deleted bigint;
BEGIN
  DELETE FROM sessions WHERE coalesce(revoked_at, expires_at) < now() - interval '30 days';
  GET DIAGNOSTICS sessions_deleted = ROW_COUNT;
  DELETE FROM rate_limits WHERE expire IS NOT NULL AND expire < (extract(epoch FROM now()) * 1000)::bigint;
  GET DIAGNOSTICS limits_deleted = ROW_COUNT;
  DELETE FROM rate_limit_counters WHERE window_end < (extract(epoch FROM now()) * 1000)::bigint;
  GET DIAGNOSTICS counters_deleted = ROW_COUNT;
  DELETE FROM idempotency_keys WHERE expires_at < now();
  RETURN jsonb_build_object('sessions', sessions_deleted, 'rateLimits', limits_deleted + counters_deleted);
END $$;
