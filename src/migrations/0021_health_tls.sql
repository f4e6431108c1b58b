-- The TLS certificate health check (docs/health.md): one check per https origin BUL is reached at
-- (PUBLIC_URL when https, HEALTH_TLS_URLS), key 'tls_certificate:<host[:port]>', a platform row
-- like the other platform checks. Only the kinds a check may have change.
ALTER TABLE health_checks DROP CONSTRAINT health_checks_kind_check;
ALTER TABLE health_checks ADD CONSTRAINT health_checks_kind_check
  CHECK (kind IN ('database', 'redis', 'job_queue', 'disk', 'notification_channel', 'tls_certificate'));
