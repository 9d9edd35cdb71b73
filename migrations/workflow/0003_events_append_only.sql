-- The event log is history: rows are added, never changed or removed, whoever is connected.
CREATE FUNCTION "workflow"."events_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "events_append_only" BEFORE UPDATE OR DELETE ON "workflow"."events"
  FOR EACH ROW EXECUTE FUNCTION "workflow"."events_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "events_no_truncate" BEFORE TRUNCATE ON "workflow"."events"
  FOR EACH STATEMENT EXECUTE FUNCTION "workflow"."events_refuse_change"();
