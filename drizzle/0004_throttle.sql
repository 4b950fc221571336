CREATE TABLE "throttle_counters" (
	"grp" text NOT NULL,
	"key" text NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"last_failure_ms" bigint DEFAULT 0 NOT NULL,
	"expires_ms" bigint DEFAULT 0 NOT NULL,
	"in_flight" integer DEFAULT 0 NOT NULL,
	"in_flight_expires_ms" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "throttle_counters_pkey" PRIMARY KEY("grp","key")
);
--> statement-breakpoint
CREATE INDEX "throttle_counters_expires_idx" ON "throttle_counters" USING btree ("expires_ms");