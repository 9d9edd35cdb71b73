CREATE SCHEMA "records";
--> statement-breakpoint
CREATE TABLE "records"."record_types" (
	"code" text PRIMARY KEY NOT NULL,
	"issuer_department" text NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"field_schema" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "record_types_code_format" CHECK ("records"."record_types"."code" ~ '^[a-z][a-z0-9_]{1,63}$'),
	CONSTRAINT "record_types_version_positive" CHECK ("records"."record_types"."version" > 0)
);
