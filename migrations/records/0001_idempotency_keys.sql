CREATE TABLE "records"."idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" text NOT NULL,
	"response_status" integer,
	"response_body" jsonb,
	"response_headers" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key"),
	CONSTRAINT "idempotency_keys_status_check" CHECK ("records"."idempotency_keys"."status" in ('in_progress', 'done')),
	CONSTRAINT "idempotency_keys_response_check" CHECK ("records"."idempotency_keys"."status" = 'in_progress' or "records"."idempotency_keys"."response_status" is not null)
);
--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_at_idx" ON "records"."idempotency_keys" USING btree ("expires_at");