CREATE TABLE "otp_codes" (
	"tenant" text NOT NULL,
	"user_id" text NOT NULL,
	"purpose" text NOT NULL,
	"id" text NOT NULL,
	"code_mac" text NOT NULL,
	"digits" integer NOT NULL,
	"attempts_left" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone,
	"window_ends_at" timestamp with time zone NOT NULL,
	"issued_in_window" integer NOT NULL,
	CONSTRAINT "otp_codes_pkey" PRIMARY KEY("tenant","user_id","purpose")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"tenant" text NOT NULL,
	"id" text NOT NULL,
	"user_id" text NOT NULL,
	"secret_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"idle_seconds" integer,
	"idle_expires_at" timestamp with time zone,
	"metadata" jsonb,
	CONSTRAINT "sessions_pkey" PRIMARY KEY("tenant","id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "otp_codes_tenant_id_idx" ON "otp_codes" USING btree ("tenant","id");--> statement-breakpoint
CREATE INDEX "otp_codes_expires_idx" ON "otp_codes" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "sessions_tenant_user_idx" ON "sessions" USING btree ("tenant","user_id");--> statement-breakpoint
CREATE INDEX "sessions_expires_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "sessions_idle_expires_idx" ON "sessions" USING btree ("idle_expires_at");