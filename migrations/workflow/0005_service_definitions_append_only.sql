-- A published service definition is what cases run on: rows are added (a change is a new
-- version), never changed or removed, whoever is connected.
CREATE FUNCTION "workflow"."service_definitions_refuse_change"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'service_definitions are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "service_definitions_append_only" BEFORE UPDATE OR DELETE ON "workflow"."service_definitions"
  FOR EACH ROW EXECUTE FUNCTION "workflow"."service_definitions_refuse_change"();
--> statement-breakpoint
CREATE TRIGGER "service_definitions_no_truncate" BEFORE TRUNCATE ON "workflow"."service_definitions"
  FOR EACH STATEMENT EXECUTE FUNCTION "workflow"."service_definitions_refuse_change"();
