CREATE TABLE "credentials" (
	"tenant" text NOT NULL,
	"user_id" text NOT NULL,
	"hash" text NOT NULL,
	"scheme" text NOT NULL,
	"salt" text,
	"pg_user" text,
	"wrapped" boolean DEFAULT false NOT NULL,
	"source" text DEFAULT 'set' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"imported_at" timestamp with time zone,
	"last_login_at" timestamp with time zone,
	CONSTRAINT "credentials_pkey" PRIMARY KEY("tenant","user_id"),
	CONSTRAINT "credentials_source_check" CHECK ("credentials"."source" in ('set', 'import', 'login_upgrade', 'wrap'))
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"kind" text NOT NULL,
	"state" text DEFAULT 'running' NOT NULL,
	"cursor" text,
	"processed" bigint DEFAULT 0 NOT NULL,
	"total" bigint DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	CONSTRAINT "jobs_state_check" CHECK ("jobs"."state" in ('running', 'done', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "upgrade_events" (
	"tenant" text NOT NULL,
	"day" date NOT NULL,
	"kind" text NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "upgrade_events_pkey" PRIMARY KEY("tenant","day","kind"),
	CONSTRAINT "upgrade_events_kind_check" CHECK ("upgrade_events"."kind" in ('login', 'wrap'))
);
--> statement-breakpoint
CREATE INDEX "credentials_tenant_scheme_idx" ON "credentials" USING btree ("tenant","scheme");--> statement-breakpoint
CREATE INDEX "jobs_tenant_kind_started_idx" ON "jobs" USING btree ("tenant","kind","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_one_running_idx" ON "jobs" USING btree ("tenant","kind") WHERE "jobs"."state" = 'running';