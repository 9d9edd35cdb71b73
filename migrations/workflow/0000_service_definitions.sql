CREATE SCHEMA "workflow";
--> statement-breakpoint
CREATE TABLE "workflow"."service_definitions" (
	"code" text NOT NULL,
	"version" integer NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"definition" jsonb NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_definitions_code_version_pk" PRIMARY KEY("code","version"),
	CONSTRAINT "service_definitions_code_format" CHECK ("workflow"."service_definitions"."code" ~ '^[a-z][a-z0-9_]{1,63}$'),
	CONSTRAINT "service_definitions_version_positive" CHECK ("workflow"."service_definitions"."version" > 0)
);
