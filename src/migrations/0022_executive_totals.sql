-- The executive dashboard's global scope (issue 17, A2): failed logins, lockouts, threats and
-- open alerts totalled over every organization and the platform (the nil organization). Row-level
-- security confines a read to one organization, hence SECURITY DEFINER; counts only, never rows,
-- and only for a super admin (the check of bul_platform_organizations, 0001).

-- Since p_since: failed logins and MFA steps, those that locked an account or address, threats
-- detected (whatever their status) per severity; and the threats not dismissed, any age.
CREATE FUNCTION bul_security_totals(p_since timestamptz)
RETURNS TABLE (failed_logins bigint, lockouts bigint, threats_low bigint, threats_medium bigint,
  threats_high bigint, threats_critical bigint, open_threats bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = bul_current_user() AND u.is_super_admin) THEN
    RAISE EXCEPTION 'installation totals need a super admin' USING ERRCODE = '42501';
  END IF;
  RETURN QUERY SELECT f.failed_logins, f.lockouts, t.low, t.medium, t.high, t.critical, o.open_threats
  FROM (SELECT count(*) AS failed_logins, count(*) FILTER (WHERE lf.locked_for_seconds IS NOT NULL) AS lockouts
        FROM security_login_failures lf WHERE lf.at >= p_since) f,
       (SELECT count(*) FILTER (WHERE st.severity = 'low') AS low,
               count(*) FILTER (WHERE st.severity = 'medium') AS medium,
               count(*) FILTER (WHERE st.severity = 'high') AS high,
               count(*) FILTER (WHERE st.severity = 'critical') AS critical
        FROM security_threats st WHERE st.detected_at >= p_since) t,
       (SELECT count(*) AS open_threats FROM security_threats st WHERE st.status = 'open') o;
END $$;

-- Alerts not resolved, per severity and status (pending, firing, acknowledged).
CREATE FUNCTION bul_alert_totals()
RETURNS TABLE (severity text, pending bigint, firing bigint, acknowledged bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM users u WHERE u.id = bul_current_user() AND u.is_super_admin) THEN
    RAISE EXCEPTION 'installation totals need a super admin' USING ERRCODE = '42501';
  END IF;
  RETURN QUERY SELECT a.severity,
    count(*) FILTER (WHERE a.status = 'pending'),
    count(*) FILTER (WHERE a.status = 'firing'),
    count(*) FILTER (WHERE a.status = 'acknowledged')
  FROM alerts a WHERE a.status <> 'resolved'
  GROUP BY a.severity ORDER BY a.severity;
END $$;

DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['bul_security_totals(timestamptz)', 'bul_alert_totals()'] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO bul_runtime', f);
  END LOOP;
END $$;
