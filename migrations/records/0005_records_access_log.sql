CREATE TABLE "records"."access_log" (
	"id" uuid PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"subject_id" text,
	"reader_kind" text NOT NULL,
	"reader" text NOT NULL,
	"reader_department" text,
	"purpose" text NOT NULL,
	"case_id" text,
	"record_id" uuid,
	"type_code" text,
	"record_version" integer,
	"fields" text[] NOT NULL,
	"outcome" text NOT NULL,
	"denial_code" text,
	"request_id" text,
	"leaf_index" bigint,
	CONSTRAINT "access_log_outcome_check" CHECK ("records"."access_log"."outcome" in ('released', 'denied'))
);
--> statement-breakpoint
CREATE TABLE "records"."access_log_checkpoints" (
	"tree_size" bigint PRIMARY KEY NOT NULL,
	"root_hash" "bytea" NOT NULL,
	"jws" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "records"."access_log_nodes" (
	"level" integer NOT NULL,
	"index" bigint NOT NULL,
	"hash" "bytea" NOT NULL,
	CONSTRAINT "access_log_nodes_level_index_pk" PRIMARY KEY("level","index")
);
--> statement-breakpoint
CREATE TABLE "records"."access_policies" (
	"id" uuid PRIMARY KEY NOT NULL,
	"reader_department" text NOT NULL,
	"type_code" text NOT NULL,
	"purpose" text NOT NULL,
	"fields" text[] NOT NULL,
	"consent_required" boolean NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"withdrawn_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "records"."consents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subject_id" text NOT NULL,
	"department" text NOT NULL,
	"type_code" text NOT NULL,
	"purpose" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "records"."record_versions" (
	"record_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"data" jsonb NOT NULL,
	"digest" text NOT NULL,
	"published_by" text NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	CONSTRAINT "record_versions_record_id_version_pk" PRIMARY KEY("record_id","version"),
	CONSTRAINT "record_versions_version_positive" CHECK ("records"."record_versions"."version" > 0)
);
--> statement-breakpoint
CREATE TABLE "records"."records" (
	"id" uuid PRIMARY KEY NOT NULL,
	"type_code" text NOT NULL,
	"subject_id" text NOT NULL,
	"issuer_department" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoke_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "records_status_check" CHECK ("records"."records"."status" in ('active', 'revoked')),
	CONSTRAINT "records_version_positive" CHECK ("records"."records"."version" > 0),
	CONSTRAINT "records_revocation_complete" CHECK (("records"."records"."status" = 'revoked') = ("records"."records"."revoked_at" is not null and "records"."records"."revoke_reason" is not null))
);
--> statement-breakpoint
ALTER TABLE "records"."record_types" ADD COLUMN "classification" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "records"."access_policies" ADD CONSTRAINT "access_policies_type_code_record_types_code_fk" FOREIGN KEY ("type_code") REFERENCES "records"."record_types"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "records"."consents" ADD CONSTRAINT "consents_type_code_record_types_code_fk" FOREIGN KEY ("type_code") REFERENCES "records"."record_types"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "records"."record_versions" ADD CONSTRAINT "record_versions_record_id_records_id_fk" FOREIGN KEY ("record_id") REFERENCES "records"."records"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "records"."records" ADD CONSTRAINT "records_type_code_record_types_code_fk" FOREIGN KEY ("type_code") REFERENCES "records"."record_types"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "access_log_leaf_idx" ON "records"."access_log" USING btree ("leaf_index");--> statement-breakpoint
CREATE INDEX "access_log_unsequenced_idx" ON "records"."access_log" USING btree ("occurred_at","id") WHERE "records"."access_log"."leaf_index" is null;--> statement-breakpoint
CREATE INDEX "access_log_subject_idx" ON "records"."access_log" USING btree ("subject_id","occurred_at");--> statement-breakpoint
CREATE INDEX "access_log_department_idx" ON "records"."access_log" USING btree ("reader_department","occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "access_policies_active_idx" ON "records"."access_policies" USING btree ("reader_department","type_code","purpose") WHERE "records"."access_policies"."withdrawn_at" is null;--> statement-breakpoint
CREATE INDEX "consents_subject_idx" ON "records"."consents" USING btree ("subject_id","created_at");--> statement-breakpoint
CREATE INDEX "consents_lookup_idx" ON "records"."consents" USING btree ("subject_id","department","type_code","purpose");--> statement-breakpoint
CREATE INDEX "records_subject_type_idx" ON "records"."records" USING btree ("subject_id","type_code","created_at");