CREATE SCHEMA "identity";
--> statement-breakpoint
CREATE TABLE "identity"."departments" (
	"code" text PRIMARY KEY NOT NULL,
	"name_zh" text NOT NULL,
	"name_en" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "departments_code_format" CHECK ("identity"."departments"."code" ~ '^[a-z][a-z0-9_]{1,39}$')
);
