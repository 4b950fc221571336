/**
 * drizzle-kit reads this file to generate the SQL migrations in `drizzle/` from the schema.
 * Run `npx drizzle-kit generate` after changing src/db/schema*.ts and commit what it writes;
 * a migration that has landed is never edited, a change is always a new migration.
 */

import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  // Feature tables may live in their own src/db/schema-<feature>.ts files beside schema.ts.
  schema: './src/db/schema*.ts',
  out: './drizzle',
  strict: true,
  verbose: true,
});
