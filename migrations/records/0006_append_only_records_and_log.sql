-- Record versions, the access log, its tree nodes and checkpoints are history: rows are added,
-- never changed or removed, whoever is connected. The one change allowed is the sequencer
-- giving an access-log entry its leaf index, once. (A superuser can still drop a trigger; the
-- signed checkpoints are what make such tampering visible.)
CREATE FUNCTION "records"."history_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE FUNCTION "records"."access_log_only_sequence"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.leaf_index IS NULL AND NEW.leaf_index IS NOT NULL
     AND (to_jsonb(NEW) - 'leaf_index') = (to_jsonb(OLD) - 'leaf_index') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'access_log is append-only: only an unsequenced entry''s leaf_index may be set' USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "record_versions_append_only" BEFORE UPDATE OR DELETE ON "records"."record_versions"
  FOR EACH ROW EXECUTE FUNCTION "records"."history_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "record_versions_no_truncate" BEFORE TRUNCATE ON "records"."record_versions"
  FOR EACH STATEMENT EXECUTE FUNCTION "records"."history_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "access_log_sequence_only" BEFORE UPDATE ON "records"."access_log"
  FOR EACH ROW EXECUTE FUNCTION "records"."access_log_only_sequence"();
--> statement-breakpoint
CREATE TRIGGER "access_log_no_delete" BEFORE DELETE ON "records"."access_log"
  FOR EACH ROW EXECUTE FUNCTION "records"."history_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "access_log_no_truncate" BEFORE TRUNCATE ON "records"."access_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "records"."history_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "access_log_nodes_append_only" BEFORE UPDATE OR DELETE ON "records"."access_log_nodes"
  FOR EACH ROW EXECUTE FUNCTION "records"."history_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "access_log_nodes_no_truncate" BEFORE TRUNCATE ON "records"."access_log_nodes"
  FOR EACH STATEMENT EXECUTE FUNCTION "records"."history_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "access_log_checkpoints_append_only" BEFORE UPDATE OR DELETE ON "records"."access_log_checkpoints"
  FOR EACH ROW EXECUTE FUNCTION "records"."history_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "access_log_checkpoints_no_truncate" BEFORE TRUNCATE ON "records"."access_log_checkpoints"
  FOR EACH STATEMENT EXECUTE FUNCTION "records"."history_refuse_change"();
