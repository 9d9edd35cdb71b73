ALTER TABLE "identity"."verifications" ALTER COLUMN "jti" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "identity"."verifications" ALTER COLUMN "device_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "identity"."devices" ADD COLUMN "revoked_by" text;--> statement-breakpoint
ALTER TABLE "identity"."devices" ADD COLUMN "revoked_reason" text;--> statement-breakpoint
ALTER TABLE "identity"."verifications" ADD COLUMN "method" text DEFAULT 'presentation' NOT NULL;--> statement-breakpoint
ALTER TABLE "identity"."verifications" ADD CONSTRAINT "verifications_method" CHECK ("identity"."verifications"."method" in ('presentation', 'in_person'));--> statement-breakpoint
ALTER TABLE "identity"."verifications" ADD CONSTRAINT "verifications_presentation_has_token" CHECK ("identity"."verifications"."method" <> 'presentation' or ("identity"."verifications"."jti" is not null and "identity"."verifications"."device_id" is not null));