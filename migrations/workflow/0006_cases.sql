CREATE TABLE "workflow"."case_numbers" (
	"prefix" text NOT NULL,
	"year" integer NOT NULL,
	"last" integer NOT NULL,
	CONSTRAINT "case_numbers_prefix_year_pk" PRIMARY KEY("prefix","year")
);
--> statement-breakpoint
CREATE TABLE "workflow"."cases" (
	"id" uuid PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"tracking_code" text NOT NULL,
	"service_code" text NOT NULL,
	"service_version" integer NOT NULL,
	"subject_id" text NOT NULL,
	"submitted_by_kind" text NOT NULL,
	"submitted_by" text NOT NULL,
	"submitted_by_department" text,
	"form" jsonb NOT NULL,
	"records" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"records_pulled_at" timestamp with time zone,
	"status" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"sla_working_days" integer NOT NULL,
	"due_at" timestamp with time zone,
	"pauses" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "cases_status" CHECK ("workflow"."cases"."status" in ('in_progress', 'awaiting_information', 'approved', 'rejected', 'withdrawn')),
	CONSTRAINT "cases_submitted_by_kind" CHECK ("workflow"."cases"."submitted_by_kind" in ('resident', 'staff')),
	CONSTRAINT "cases_version_positive" CHECK ("workflow"."cases"."version" > 0)
);
--> statement-breakpoint
CREATE TABLE "workflow"."proof_jtis" (
	"jkt" text NOT NULL,
	"jti" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "proof_jtis_jkt_jti_pk" PRIMARY KEY("jkt","jti")
);
--> statement-breakpoint
CREATE TABLE "workflow"."tasks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"case_id" uuid NOT NULL,
	"step_id" text NOT NULL,
	"department" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"sla_working_days" integer NOT NULL,
	"opened_at" timestamp with time zone,
	"due_at" timestamp with time zone,
	"pauses" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"decided_at" timestamp with time zone,
	"decided_by" text,
	"reason" text,
	"overdue_at" timestamp with time zone,
	CONSTRAINT "tasks_status" CHECK ("workflow"."tasks"."status" in ('waiting', 'open', 'awaiting_information', 'approved', 'rejected', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "workflow"."tasks" ADD CONSTRAINT "tasks_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "workflow"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "cases_number_key" ON "workflow"."cases" USING btree ("number");--> statement-breakpoint
CREATE UNIQUE INDEX "cases_tracking_code_key" ON "workflow"."cases" USING btree ("tracking_code");--> statement-breakpoint
CREATE INDEX "cases_subject_idx" ON "workflow"."cases" USING btree ("subject_id","submitted_at","id");--> statement-breakpoint
CREATE INDEX "cases_records_pending_idx" ON "workflow"."cases" USING btree ("submitted_at") WHERE "workflow"."cases"."records_pulled_at" is null;--> statement-breakpoint
CREATE INDEX "proof_jtis_expires_idx" ON "workflow"."proof_jtis" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_case_step_key" ON "workflow"."tasks" USING btree ("case_id","step_id");--> statement-breakpoint
CREATE INDEX "tasks_queue_idx" ON "workflow"."tasks" USING btree ("department","status","due_at","id");--> statement-breakpoint
CREATE INDEX "tasks_overdue_idx" ON "workflow"."tasks" USING btree ("due_at") WHERE "workflow"."tasks"."status" = 'open' and "workflow"."tasks"."overdue_at" is null;