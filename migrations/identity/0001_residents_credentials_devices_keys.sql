CREATE TABLE "identity"."activation_codes" (
	"code_hash" text PRIMARY KEY NOT NULL,
	"subject_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."attribute_policies" (
	"department_code" text PRIMARY KEY NOT NULL,
	"attributes" text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."clients" (
	"client_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"department_code" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."credential_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"credential_id" text NOT NULL,
	"action" text NOT NULL,
	"from_status" text NOT NULL,
	"to_status" text NOT NULL,
	"reason" text NOT NULL,
	"actor_id" text NOT NULL,
	"actor_department" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."credentials" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_id" text NOT NULL,
	"status_index" integer NOT NULL,
	"status" text DEFAULT 'valid' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status_changed_at" timestamp with time zone,
	"status_reason" text,
	CONSTRAINT "credentials_status" CHECK ("identity"."credentials"."status" in ('valid', 'revoked', 'suspended')),
	CONSTRAINT "credentials_status_index_range" CHECK ("identity"."credentials"."status_index" >= 0)
);
--> statement-breakpoint
CREATE TABLE "identity"."devices" (
	"id" text PRIMARY KEY NOT NULL,
	"subject_id" text NOT NULL,
	"key_id" text NOT NULL,
	"jkt" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."login_failures" (
	"key" text PRIMARY KEY NOT NULL,
	"failures" integer NOT NULL,
	"window_started_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."proof_jtis" (
	"jkt" text NOT NULL,
	"jti" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "proof_jtis_jkt_jti_pk" PRIMARY KEY("jkt","jti")
);
--> statement-breakpoint
CREATE TABLE "identity"."residents" (
	"subject_id" text PRIMARY KEY NOT NULL,
	"id_document_type" text NOT NULL,
	"id_lookup_hash" text NOT NULL,
	"id_number_encrypted" text NOT NULL,
	"id_number_masked" text NOT NULL,
	"full_name" text NOT NULL,
	"birth_date" date NOT NULL,
	"phone" text NOT NULL,
	"enrolled_by" text NOT NULL,
	"enrolled_department" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."signing_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_key_encrypted" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"retired_at" timestamp with time zone,
	"published_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "identity"."staff" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"display_name" text NOT NULL,
	"department_code" text NOT NULL,
	"roles" text[] NOT NULL,
	"password_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone,
	CONSTRAINT "staff_username_format" CHECK ("identity"."staff"."username" ~ '^[a-z0-9][a-z0-9._-]{2,63}$')
);
--> statement-breakpoint
CREATE TABLE "identity"."verifications" (
	"id" text PRIMARY KEY NOT NULL,
	"jti" text NOT NULL,
	"subject_id" text NOT NULL,
	"credential_id" text NOT NULL,
	"device_id" text NOT NULL,
	"verifier_kind" text NOT NULL,
	"verifier_id" text NOT NULL,
	"verifier_department" text NOT NULL,
	"counter" text,
	"verified_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "identity"."activation_codes" ADD CONSTRAINT "activation_codes_subject_id_residents_subject_id_fk" FOREIGN KEY ("subject_id") REFERENCES "identity"."residents"("subject_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."attribute_policies" ADD CONSTRAINT "attribute_policies_department_code_departments_code_fk" FOREIGN KEY ("department_code") REFERENCES "identity"."departments"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."clients" ADD CONSTRAINT "clients_department_code_departments_code_fk" FOREIGN KEY ("department_code") REFERENCES "identity"."departments"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."credential_events" ADD CONSTRAINT "credential_events_credential_id_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "identity"."credentials"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."credentials" ADD CONSTRAINT "credentials_subject_id_residents_subject_id_fk" FOREIGN KEY ("subject_id") REFERENCES "identity"."residents"("subject_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."devices" ADD CONSTRAINT "devices_subject_id_residents_subject_id_fk" FOREIGN KEY ("subject_id") REFERENCES "identity"."residents"("subject_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."staff" ADD CONSTRAINT "staff_department_code_departments_code_fk" FOREIGN KEY ("department_code") REFERENCES "identity"."departments"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "credentials_status_index_key" ON "identity"."credentials" USING btree ("status_index");--> statement-breakpoint
CREATE INDEX "credentials_subject_idx" ON "identity"."credentials" USING btree ("subject_id");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_jkt_key" ON "identity"."devices" USING btree ("jkt");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_subject_key_id_key" ON "identity"."devices" USING btree ("subject_id","key_id");--> statement-breakpoint
CREATE INDEX "proof_jtis_expires_idx" ON "identity"."proof_jtis" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "residents_id_lookup_hash_key" ON "identity"."residents" USING btree ("id_lookup_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "staff_username_key" ON "identity"."staff" USING btree ("username");--> statement-breakpoint
CREATE UNIQUE INDEX "verifications_jti_key" ON "identity"."verifications" USING btree ("jti");--> statement-breakpoint
CREATE INDEX "verifications_subject_idx" ON "identity"."verifications" USING btree ("subject_id","verified_at");