CREATE TABLE "identity"."login_throttle_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"staff_id" text NOT NULL,
	"department_code" text NOT NULL,
	"address" text,
	"decision" text NOT NULL,
	"retry_after_seconds" integer,
	"actor_id" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "identity"."staff_known_addresses" (
	"staff_id" text NOT NULL,
	"address" text NOT NULL,
	"last_success_at" timestamp with time zone NOT NULL,
	CONSTRAINT "staff_known_addresses_staff_id_address_pk" PRIMARY KEY("staff_id","address")
);
--> statement-breakpoint
ALTER TABLE "identity"."login_throttle_events" ADD CONSTRAINT "login_throttle_events_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "identity"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "identity"."staff_known_addresses" ADD CONSTRAINT "staff_known_addresses_staff_id_staff_id_fk" FOREIGN KEY ("staff_id") REFERENCES "identity"."staff"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "login_throttle_events_department_idx" ON "identity"."login_throttle_events" USING btree ("department_code","id");