-- Change tracking for incremental and differential backups (src/platform/backup, issue 18).
--
-- Inserted and updated rows are found by their row version (xmin) against the parent backup's
-- snapshot, so they cost nothing here. Deleted rows leave no row behind: every backed-up table gets
-- a statement-level AFTER DELETE trigger that records the primary keys of the deleted rows, and an
-- AFTER TRUNCATE trigger that records the truncation (pk NULL), in backup_tombstones. A backup
-- reads the tombstones with xid >= its parent's snapshot xmin inside its own snapshot, so exactly
-- the committed deletions it has to replay. Tables created by later migrations call
-- bul_backup_track('name') (or are in the exclusion list of src/platform/backup/catalog.ts; a test
-- checks that every table is one or the other).
--
-- Restores set bul.restoring = 'on' for their transaction: the triggers that stamp rows
-- (updated_at/version, completed_by, the audit chain's fields) then leave restored rows as they
-- were backed up.

CREATE TABLE backup_tombstones (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  table_name text NOT NULL,
  pk jsonb,                                 -- {column: value} of the deleted row; NULL = TRUNCATE
  xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backup_tombstones_xid_idx ON backup_tombstones (xid);
-- No grant to bul_runtime: only the triggers below (SECURITY DEFINER) and the owner write it.

-- The deleted rows' keys; the key column names are the trigger's arguments.
CREATE FUNCTION bul_backup_tombstone() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  fields text;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO backup_tombstones (table_name, pk) VALUES (TG_TABLE_NAME, NULL);
    RETURN NULL;
  END IF;
  SELECT string_agg(format('%L, o.%I', a, a), ', ') INTO fields FROM unnest(TG_ARGV) a;
  EXECUTE format('INSERT INTO backup_tombstones (table_name, pk) SELECT %L, jsonb_build_object(%s) FROM old_rows o',
    TG_TABLE_NAME, fields);
  RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION bul_backup_tombstone() FROM PUBLIC;

-- Puts a table under change tracking (idempotent): its delete and truncate triggers.
CREATE FUNCTION bul_backup_track(p_table regclass) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  name text;
  keys text;
BEGIN
  SELECT c.relname INTO name FROM pg_class c WHERE c.oid = p_table;
  SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY k.ord) INTO keys
  FROM pg_index i
  CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
  WHERE i.indrelid = p_table AND i.indisprimary;
  IF keys IS NULL THEN
    RAISE EXCEPTION 'table % has no primary key; backups need one to replay deletions', name;
  END IF;
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', name || '_backup_delete', p_table);
  EXECUTE format('DROP TRIGGER IF EXISTS %I ON %s', name || '_backup_truncate', p_table);
  EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
    'FOR EACH STATEMENT EXECUTE FUNCTION bul_backup_tombstone(%s)', name || '_backup_delete', p_table, keys);
  EXECUTE format('CREATE TRIGGER %I AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION bul_backup_tombstone()',
    name || '_backup_truncate', p_table);
END $$;
REVOKE ALL ON FUNCTION bul_backup_track(regclass) FROM PUBLIC;

-- Every table there is, except the machinery that is never backed up (the same list as
-- EXCLUDED_TABLES in src/platform/backup/catalog.ts).
DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT c.relname FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relname NOT LIKE 'backup\_%'
      AND c.relname NOT IN ('bul_schema_migrations', 'bul_ticks', 'rate_limit_counters', 'rate_limits',
        'monitoring_rollup_marks')
    ORDER BY c.relname LOOP
    PERFORM bul_backup_track(t::regclass);
  END LOOP;
END $$;

-- Restored rows keep their backed-up stamps.
CREATE OR REPLACE FUNCTION bul_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('bul.restoring', true) = 'on' THEN
    RETURN NEW;
  END IF;
  NEW.updated_at := now();
  NEW.version := OLD.version + 1;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION bul_task_completed_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('bul.restoring', true) = 'on' THEN
    RETURN NEW;
  END IF;
  IF NEW.completed_at IS NULL THEN
    NEW.completed_by := NULL;
  ELSIF TG_OP = 'INSERT' THEN
    NEW.completed_by := coalesce(NEW.completed_by, bul_current_user());
  ELSIF OLD.completed_at IS NULL AND NEW.completed_by IS NOT DISTINCT FROM OLD.completed_by THEN
    NEW.completed_by := bul_current_user();
  END IF;
  RETURN NEW;
END $$;

-- A restored audit event keeps its place in the chain (seq and hashes); any other insert is still
-- forced unsealed. Anyone can set bul.restoring, so it counts only for the table's owner (the
-- restore's connection): the application role still cannot write a sealed-looking event.
CREATE OR REPLACE FUNCTION bul_audit_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  IF current_setting('bul.restoring', true) = 'on'
    AND pg_has_role(current_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE') THEN
    RETURN NEW;
  END IF;
  NEW.seq := NULL;
  NEW.prev_hash := '';
  NEW.hash := '';
  RETURN NEW;
END $$;
