CREATE TABLE "fernet_key_versions" (
	"tenant" text NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"ring_key_id" text NOT NULL,
	"sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fernet_key_versions_pkey" PRIMARY KEY("tenant","name","version")
);
--> statement-breakpoint
CREATE TABLE "fernet_keys" (
	"tenant" text NOT NULL,
	"name" text NOT NULL,
	"exportable" boolean DEFAULT false NOT NULL,
	"latest_version" integer NOT NULL,
	"min_decryption_version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "fernet_keys_pkey" PRIMARY KEY("tenant","name"),
	CONSTRAINT "fernet_keys_versions_check" CHECK ("fernet_keys"."min_decryption_version" >= 1 and "fernet_keys"."min_decryption_version" <= "fernet_keys"."latest_version")
);
--> statement-breakpoint
CREATE TABLE "totp_credentials" (
	"tenant" text NOT NULL,
	"user_id" text NOT NULL,
	"ring_key_id" text,
	"sealed" text,
	"digits" integer,
	"period" integer,
	"confirmed_at" timestamp with time zone,
	"last_step" bigint,
	"pending_ring_key_id" text,
	"pending_sealed" text,
	"pending_digits" integer,
	"pending_period" integer,
	"pending_created_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "totp_credentials_pkey" PRIMARY KEY("tenant","user_id")
);
--> statement-breakpoint
CREATE TABLE "totp_recovery_codes" (
	"tenant" text NOT NULL,
	"user_id" text NOT NULL,
	"digest" text NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "totp_recovery_codes_pkey" PRIMARY KEY("tenant","user_id","digest")
);
--> statement-breakpoint
ALTER TABLE "fernet_key_versions" ADD CONSTRAINT "fernet_key_versions_key_fk" FOREIGN KEY ("tenant","name") REFERENCES "public"."fernet_keys"("tenant","name") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "fernet_key_versions_ring_idx" ON "fernet_key_versions" USING btree ("ring_key_id");--> statement-breakpoint
CREATE INDEX "totp_credentials_ring_idx" ON "totp_credentials" USING btree ("ring_key_id");--> statement-breakpoint
CREATE INDEX "totp_credentials_pending_ring_idx" ON "totp_credentials" USING btree ("pending_ring_key_id");