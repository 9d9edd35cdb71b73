CREATE TABLE "records"."proof_jtis" (
	"jkt" text NOT NULL,
	"jti" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "proof_jtis_jkt_jti_pk" PRIMARY KEY("jkt","jti")
);
--> statement-breakpoint
CREATE INDEX "proof_jtis_expires_idx" ON "records"."proof_jtis" USING btree ("expires_at");