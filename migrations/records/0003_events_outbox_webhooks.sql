CREATE TABLE "records"."deliveries" (
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
	CONSTRAINT "deliveries_status_check" CHECK ("records"."deliveries"."status" in ('pending', 'delivered', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "records"."events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"aggregate_type" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"aggregate_version" integer,
	"type" text NOT NULL,
	"actor" text NOT NULL,
	"actor_department" text,
	"request_id" text,
	"data" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "records"."outbox" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"audience" text,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"dispatched_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "records"."subscriptions" (
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
CREATE INDEX "deliveries_due_idx" ON "records"."deliveries" USING btree ("next_attempt_at") WHERE "records"."deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "events_aggregate_idx" ON "records"."events" USING btree ("aggregate_type","aggregate_id","occurred_at");--> statement-breakpoint
CREATE INDEX "events_occurred_at_idx" ON "records"."events" USING btree ("occurred_at");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "records"."outbox" USING btree ("created_at") WHERE "records"."outbox"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "subscriptions_owner_idx" ON "records"."subscriptions" USING btree ("owner_department","created_at","id");