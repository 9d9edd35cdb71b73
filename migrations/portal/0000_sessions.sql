CREATE SCHEMA "portal";
--> statement-breakpoint
CREATE TABLE "portal"."sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "sessions_actor_kind" CHECK ("portal"."sessions"."actor_kind" in ('resident', 'staff'))
);
--> statement-breakpoint
CREATE INDEX "sessions_expires_at_idx" ON "portal"."sessions" USING btree ("expires_at");