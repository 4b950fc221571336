/**
 * The credential repository: every read and write of one user's stored password hash goes
 * through it (the bulk operations over many rows are in bulk.ts). Each method takes the tenant
 * first and puts it in every WHERE clause, so no call can read or change another tenant's rows
 * whatever user id it is given.
 *
 * Writes that upgrade a hash (upgrade-on-login, the wrap job) use `compareAndSwap`: they replace
 * only the exact hash they verified, so a password change that lands in between always wins.
 * A plain `set` is a password change and always replaces.
 *
 * The clock is injected so tests can pin the timestamps and the day an upgrade is counted on.
 */

import { and, eq, sql } from 'drizzle-orm';
import type { Clock } from '../clock.ts';
import { type Database, queryRows } from './database.ts';
import { type CredentialRow, type CredentialSource, credentials, type UpgradeKind } from './schema.ts';
import { textArrayLiteral } from './text.ts';

export interface SetCredentialInput {
  hash: string;
  scheme: string;
  salt?: string | null;
  pgUser?: string | null;
  source: CredentialSource;
}

export interface SwapCredentialInput {
  hash: string;
  scheme: string;
  /** True when `hash` is an argon2id wrapper over the legacy hash it replaces. */
  wrapped: boolean;
  source: CredentialSource;
  /**
   * Omitted: the stored value stays (a wrapped hash still needs the legacy salt and user name).
   * Null: cleared (an upgrade to a plain argon2id hash no longer needs them).
   */
  salt?: string | null;
  pgUser?: string | null;
  /** True for an upgrade on login: the same write records the login time (one round trip). */
  loggedIn?: boolean;
  /**
   * Counts the upgrade in the tenant's per-day upgrade counters (the inventory) in the same
   * statement, only when the swap happened: one round trip and one commit for both, so a login
   * that upgrades costs no more database time than one write, and the counter never disagrees
   * with the rows.
   */
  countUpgrade?: UpgradeKind;
}

/** One login to record: the user's last login time becomes `at`, unless a later one is stored. */
export interface LoginTime {
  tenant: string;
  userId: string;
  at: Date;
}

/** One row of `compareAndSwapMany`: `userId`'s stored `expectedHash` becomes `hash`. */
export interface SwapRow {
  userId: string;
  expectedHash: string;
  hash: string;
}

/** What every row of one `compareAndSwapMany` gets besides its hash. */
export type SwapManyInput = Pick<SwapCredentialInput, 'scheme' | 'wrapped' | 'source'>;

/** One user's stored credential: read it, replace it, swap it after a verify, remove it. */
export interface CredentialRepository {
  get(tenant: string, userId: string): Promise<CredentialRow | undefined>;
  set(tenant: string, userId: string, input: SetCredentialInput): Promise<void>;
  compareAndSwap(tenant: string, userId: string, expectedHash: string, input: SwapCredentialInput): Promise<boolean>;
  /**
   * `compareAndSwap` of many users of one tenant in one statement (the wrap job's batch): each
   * row is replaced only if it still holds its expected hash. Salt and login name stay. Returns
   * the user ids that were replaced. The user ids must be distinct.
   */
  compareAndSwapMany(tenant: string, rows: readonly SwapRow[], input: SwapManyInput): Promise<Set<string>>;
  touchLogin(tenant: string, userId: string): Promise<boolean>;
  /**
   * Records many logins (of any tenants) in one statement: each user's last login time becomes
   * the latest of the stored one and the given ones, so a late write never moves it backwards.
   * Users that no longer exist are skipped. Returns how many rows were written.
   */
  touchLogins(logins: readonly LoginTime[]): Promise<number>;
  remove(tenant: string, userId: string): Promise<boolean>;
}

export function createCredentialRepository(database: Database, clock: Clock): CredentialRepository {
  const { db } = database;
  const byUser = (tenant: string, userId: string) =>
    and(eq(credentials.tenant, tenant), eq(credentials.userId, userId));
  // Every login starts with this read, so it is a named prepared statement: postgres.js sends an
  // unnamed statement with parameters as Parse/Describe, waits for the answer, then Bind/Execute
  // (two round trips, and the server parses and plans it each time); a prepared one is one
  // Bind/Execute round trip per call once each pooled connection has it. (A client made with
  // `prepare: false`, the Worker's through Hyperdrive, still sends it unnamed.)
  const getByUser = db
    .select()
    .from(credentials)
    .where(and(eq(credentials.tenant, sql.placeholder('tenant')), eq(credentials.userId, sql.placeholder('userId'))))
    .limit(1)
    .prepare('hashd_credentials_get');

  return {
    async get(tenant, userId) {
      const [row] = await getByUser.execute({ tenant, userId });
      return row;
    },

    async set(tenant, userId, input) {
      const now = clock();
      const fields = {
        hash: input.hash,
        scheme: input.scheme,
        salt: input.salt ?? null,
        pgUser: input.pgUser ?? null,
        wrapped: false,
        source: input.source,
        updatedAt: now,
      };
      const importedAt = input.source === 'import' ? now : null;
      await db
        .insert(credentials)
        .values({ tenant, userId, ...fields, createdAt: now, importedAt })
        .onConflictDoUpdate({
          target: [credentials.tenant, credentials.userId],
          // A password change keeps when the user was imported; a re-import restamps it.
          set: { ...fields, importedAt: importedAt ?? sql`${credentials.importedAt}` },
        });
    },

    async compareAndSwap(tenant, userId, expectedHash, input) {
      if (input.countUpgrade !== undefined) return swapAndCount(db, clock(), tenant, userId, expectedHash, input, input.countUpgrade);
      const changed = await db
        .update(credentials)
        .set({
          hash: input.hash,
          scheme: input.scheme,
          wrapped: input.wrapped,
          source: input.source,
          updatedAt: clock(),
          ...(input.salt === undefined ? {} : { salt: input.salt }),
          ...(input.pgUser === undefined ? {} : { pgUser: input.pgUser }),
          ...(input.loggedIn === true && { lastLoginAt: clock() }),
        })
        // Under READ COMMITTED a concurrent writer's row is re-checked against this condition
        // after its commit, so a hash changed in between makes this update match nothing.
        .where(and(byUser(tenant, userId), eq(credentials.hash, expectedHash)))
        .returning({ userId: credentials.userId });
      return changed.length > 0;
    },

    async compareAndSwapMany(tenant, rows, input) {
      if (rows.length === 0) return new Set();
      if (new Set(rows.map((r) => r.userId)).size !== rows.length) throw new RangeError('compareAndSwapMany: user ids must be distinct');
      const column = (pick: (row: SwapRow) => string): string => textArrayLiteral(rows.map(pick));
      // Under READ COMMITTED a row changed by a concurrent writer is re-checked against the whole
      // condition (the join on the expected hash included) after that writer commits, exactly as
      // in compareAndSwap: a password change or login upgrade that landed in between wins.
      const changed = await queryRows<{ user_id: string }>(
        db,
        sql`
          update credentials c set
            hash = v.hash, scheme = ${input.scheme}::text, wrapped = ${input.wrapped}::boolean,
            source = ${input.source}::text, updated_at = ${clock().toISOString()}::text::timestamptz
          from unnest(${column((r) => r.userId)}::text::text[], ${column((r) => r.expectedHash)}::text::text[], ${column((r) => r.hash)}::text::text[])
            as v(user_id, expected, hash)
          where c.tenant = ${tenant}::text and c.user_id = v.user_id and c.hash = v.expected
          returning c.user_id`,
      );
      return new Set(changed.map((r) => r.user_id));
    },

    async touchLogins(logins) {
      // One entry per user, the latest time: UPDATE … FROM applies one source row per target row.
      const latest = new Map<string, LoginTime>();
      for (const login of logins) {
        const key = `${login.tenant}\0${login.userId}`;
        const seen = latest.get(key);
        if (!seen || seen.at < login.at) latest.set(key, login);
      }
      if (latest.size === 0) return 0;
      const entries = [...latest.values()];
      const column = (pick: (login: LoginTime) => string): string => textArrayLiteral(entries.map(pick));
      const [result] = await queryRows<{ n: number }>(
        db,
        sql`
          with touched as (
            update credentials c set last_login_at = greatest(c.last_login_at, v.at::timestamptz)
            from unnest(${column((l) => l.tenant)}::text::text[], ${column((l) => l.userId)}::text::text[], ${column((l) => l.at.toISOString())}::text::text[])
              as v(tenant, user_id, at)
            where c.tenant = v.tenant and c.user_id = v.user_id
            returning 1
          )
          select count(*)::int as n from touched`,
      );
      return result?.n ?? 0;
    },

    async touchLogin(tenant, userId) {
      const changed = await db
        .update(credentials)
        .set({ lastLoginAt: clock() })
        .where(byUser(tenant, userId))
        .returning({ userId: credentials.userId });
      return changed.length > 0;
    },

    async remove(tenant, userId) {
      const removed = await db
        .delete(credentials)
        .where(byUser(tenant, userId))
        .returning({ userId: credentials.userId });
      return removed.length > 0;
    },
  };
}

/**
 * compareAndSwap and the upgrade counter in one statement. A data-modifying WITH runs exactly
 * once whether or not the outer query reads it, and the counter's insert reads the swap's rows,
 * so it adds one only when the row was replaced.
 */
async function swapAndCount(
  db: Database['db'],
  now: Date,
  tenant: string,
  userId: string,
  expectedHash: string,
  input: SwapCredentialInput,
  kind: UpgradeKind,
): Promise<boolean> {
  const stamp = now.toISOString();
  const optional = [
    ...(input.salt === undefined ? [] : [sql`salt = ${input.salt}::text`]),
    ...(input.pgUser === undefined ? [] : [sql`pg_user = ${input.pgUser}::text`]),
    ...(input.loggedIn === true ? [sql`last_login_at = ${stamp}::text::timestamptz`] : []),
  ];
  const [result] = await queryRows<{ n: number }>(
    db,
    sql`
      with swapped as (
        update credentials set
          hash = ${input.hash}::text, scheme = ${input.scheme}::text, wrapped = ${input.wrapped}::boolean,
          source = ${input.source}::text, updated_at = ${stamp}::text::timestamptz
          ${optional.length > 0 ? sql`, ${sql.join(optional, sql`, `)}` : sql``}
        where tenant = ${tenant}::text and user_id = ${userId}::text and hash = ${expectedHash}::text
        returning 1
      ), counted as (
        insert into upgrade_events (tenant, day, kind, count)
        select ${tenant}::text, ${stamp.slice(0, 10)}::text::date, ${kind}::text, 1 from swapped
        on conflict (tenant, day, kind) do update set count = upgrade_events.count + excluded.count
        returning 1
      )
      select count(*)::int as n from swapped`,
  );
  return (result?.n ?? 0) > 0;
}
