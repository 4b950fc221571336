/**
 * Counters in the database (table `throttle_counters`, src/db/schema-throttle.ts): for replicas
 * that share PostgreSQL but no Redis, and for the Worker entry. A reservation is one conditional
 * upsert per counter, `INSERT … ON CONFLICT DO UPDATE … WHERE <allowed> RETURNING`: the row lock
 * makes check and increment one step, so concurrent requests on any replica cannot both take the
 * last attempt. The counters of one attempt are reserved in one transaction, in key order (no
 * deadlock between two attempts), and a refusal on any of them rolls back the others.
 *
 * The rule is evaluated in SQL exactly as `waitFor` does in JavaScript; expired failures and
 * expired in-flight counts are treated as zero where they are read, and forgotten rows are
 * swept now and then.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/database';
import { queryRows } from '../db/database';
import { throttleCounters as t } from '../db/schema-throttle';
import { PENDING_TTL_MS, waitFor, type CounterState, type Settlement, type ThrottleCounter, type ThrottleStore } from './throttle';

/** Settlements between two sweeps of forgotten rows. */
const SWEEP_EVERY = 256;

class Refused {
  constructor(
    readonly waitMs: number,
    readonly counter: ThrottleCounter,
  ) {}
}

interface Row extends Record<string, unknown> {
  failures: number | string;
  last_failure_ms: number | string;
  expires_ms: number | string;
  in_flight: number | string;
  in_flight_expires_ms: number | string;
}

/** The failures and in-flight count that still count at `now` (expired ones are zero). */
function effective(now: number): { f: SQL; p: SQL } {
  return {
    f: sql`(case when ${t.expiresMs} <= ${now}::bigint then 0 else ${t.failures} end)`,
    p: sql`(case when ${t.inFlightExpiresMs} <= ${now}::bigint then 0 else ${t.inFlight} end)`,
  };
}

function stateOf(row: Row, counter: ThrottleCounter, now: number): CounterState | undefined {
  const expires = Number(row.expires_ms);
  const failures = expires <= now ? 0 : Number(row.failures);
  const inFlight = Number(row.in_flight_expires_ms) <= now ? 0 : Number(row.in_flight);
  if (failures === 0 && inFlight === 0) return undefined;
  return { failures, inFlight, waitMs: waitFor(counter.rule, failures, inFlight, Number(row.last_failure_ms), now, expires) };
}

export function createPostgresThrottleStore(database: Database): ThrottleStore {
  const { db } = database;
  let settlements = 0;

  const select = (executor: Pick<typeof db, 'execute'>, counter: ThrottleCounter): Promise<Row[]> =>
    queryRows<Row>(
      executor,
      sql`select failures, last_failure_ms, expires_ms, in_flight, in_flight_expires_ms from throttle_counters where grp = ${counter.group} and key = ${counter.key}`,
    );

  const sorted = (counters: readonly ThrottleCounter[]): ThrottleCounter[] =>
    [...counters].sort((a, b) => (a.group + a.key < b.group + b.key ? -1 : a.group + a.key > b.group + b.key ? 1 : 0));

  return {
    kind: 'postgres',
    async reserve(counters, now) {
      try {
        await db.transaction(async (tx) => {
          for (const counter of sorted(counters)) {
            const { rule } = counter;
            const { f, p } = effective(now);
            const n = sql`(${f} + ${p})`;
            const pendingUntil = now + PENDING_TTL_MS;
            const rows = await queryRows(
              tx,
              sql`insert into throttle_counters (grp, key, in_flight, in_flight_expires_ms)
                  values (${counter.group}, ${counter.key}, 1, ${pendingUntil}::bigint)
                  on conflict (grp, key) do update set
                    failures = ${f},
                    last_failure_ms = case when ${t.expiresMs} <= ${now}::bigint then 0 else ${t.lastFailureMs} end,
                    in_flight = ${p} + 1,
                    in_flight_expires_ms = ${pendingUntil}::bigint
                  where ${n} < ${rule.maxFailures}::int
                    and (${n} < ${rule.freeFailures}::int
                      or ${t.lastFailureMs} + least(${rule.backoffMaxMs}::float8, ${rule.backoffBaseMs}::float8 * power(2::float8, least(${n} - ${rule.freeFailures}::int, 40))) <= ${now}::bigint)
                  returning 1 as ok`,
            );
            if (rows.length === 0) {
              const [row] = await select(tx, counter);
              throw new Refused(row ? Math.max(1, stateOf(row, counter, now)?.waitMs ?? 1) : 1, counter);
            }
          }
        });
        return 0;
      } catch (err) {
        if (err instanceof Refused) return { waitMs: err.waitMs, counter: counters.indexOf(err.counter) };
        throw err;
      }
    },
    async settle(counters, how: readonly Settlement[], now) {
      await db.transaction(async (tx) => {
        for (const [i, counter] of counters.entries()) {
          const { f, p } = effective(now);
          const settlement = how[i] ?? 'release';
          if (settlement === 'failure') {
            const expires = now + counter.rule.windowMs;
            await tx.execute(sql`insert into throttle_counters (grp, key, failures, last_failure_ms, expires_ms)
              values (${counter.group}, ${counter.key}, 1, ${now}::bigint, ${expires}::bigint)
              on conflict (grp, key) do update set failures = ${f} + 1, last_failure_ms = ${now}::bigint, expires_ms = ${expires}::bigint, in_flight = greatest(0, ${p} - 1)`);
          } else {
            const reset = settlement === 'reset' ? sql`, failures = 0, last_failure_ms = 0, expires_ms = 0` : sql``;
            await tx.execute(sql`update throttle_counters set in_flight = greatest(0, ${p} - 1)${reset} where grp = ${counter.group} and key = ${counter.key}`);
          }
        }
      });
      if (++settlements % SWEEP_EVERY === 0) {
        await db.execute(sql`delete from throttle_counters where expires_ms <= ${now}::bigint and (in_flight = 0 or in_flight_expires_ms <= ${now}::bigint)`);
      }
    },
    async inspect(counter, now) {
      const [row] = await select(db, counter);
      return row ? stateOf(row, counter, now) : undefined;
    },
    async clear(counters) {
      for (const counter of counters) await db.execute(sql`delete from throttle_counters where grp = ${counter.group} and key = ${counter.key}`);
    },
    ping: () => database.ping(),
    // The database belongs to the entry, which closes it.
    async close() {},
  };
}
