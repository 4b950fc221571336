ALTER TABLE "totp_credentials" ADD COLUMN "algorithm" text;--> statement-breakpoint
ALTER TABLE "totp_credentials" ADD COLUMN "pending_algorithm" text;