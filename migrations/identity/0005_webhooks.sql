CREATE TABLE "identity"."deliveries" (
	"event_id" uuid NOT NULL,
	"subscription_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone,
	"lease_id" uuid,
	"last_status_code" integer,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "deliveries_event_id_subscription_id_pk" PRIMARY KEY("event_id","subscription_id"),
	CONSTRAINT "deliveries_status_check" CHECK ("identity"."deliveries"."status" in ('pending', 'delivered', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "identity"."subscriptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"owner_department" text NOT NULL,
	"created_by" text NOT NULL,
	"url" text NOT NULL,
	"event_types" text[] NOT NULL,
	"secret_sealed" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"disabled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "deliveries_due_idx" ON "identity"."deliveries" USING btree ("next_attempt_at") WHERE "identity"."deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "subscriptions_owner_idx" ON "identity"."subscriptions" USING btree ("owner_department","created_at","id");