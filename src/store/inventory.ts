/**
 * What a migration needs to see about a tenant's stored credentials: counts by scheme and by cost
 * parameters, how many need a rehash under the current policy, how many are wrapped, upgrades per
 * day, and weak hashes whose users have not logged in since import. The database counts what it
 * can; the per-hash parts (costs, needs-rehash) stream every row through the policy's parser,
 * which does no hashing work.
 */
import type { Repositories } from '../db/index';
import { isHashdError } from '../errors';
import type { CryptContext } from '../hashing/crypt-context';

export interface CostGroup {
  cost: Record<string, number | string>;
  count: number;
}

export interface SchemeInventory {
  scheme: string;
  count: number;
  needsRehash: number;
  wrapped: number;
  costs: CostGroup[];
}

export interface InventoryReport {
  total: number;
  needsRehash: number;
  wrapped: number;
  /**
   * Stored hashes a login cannot use, by code: the error the policy answers for them
   * (`scheme_not_allowed`, `malformed_hash`, `unknown_hash_format`…), `hash_cost_exceeds_cap`,
   * or `disabled` for locked-account markers.
   */
  unusable: Record<string, number>;
  schemes: SchemeInventory[];
  upgradesByDay: { day: string; kind: string; count: number }[];
  weakNotLoggedInSinceImport: { scheme: string; count: number }[];
}

export type InventoryDeps = Pick<Repositories, 'exports' | 'inventory'> & { crypt: CryptContext };

export async function buildInventory(deps: InventoryDeps, tenant: string): Promise<InventoryReport> {
  const { exports, inventory, crypt } = deps;
  const schemes = new Map<string, { count: number; needsRehash: number; wrapped: number; costs: Map<string, CostGroup> }>();
  const unusable: Record<string, number> = {};
  let total = 0;
  let needsRehash = 0;
  let wrapped = 0;
  for await (const row of exports.exportRows(tenant, { batchSize: 5000 })) {
    total++;
    if (row.wrapped) wrapped++;
    let entry = schemes.get(row.scheme);
    if (!entry) schemes.set(row.scheme, (entry = { count: 0, needsRehash: 0, wrapped: 0, costs: new Map() }));
    entry.count++;
    if (row.wrapped) entry.wrapped++;
    try {
      const identified = crypt.inspect(row.hash);
      // Rows a login cannot use although they parse: a locked-account marker, costs above the
      // caps. A login answers them like a wrong password, so they are counted here for the operator.
      const refused = identified.unusable ? 'disabled' : identified.reasons.includes('cost_exceeds_cap') ? 'hash_cost_exceeds_cap' : undefined;
      if (refused !== undefined) unusable[refused] = (unusable[refused] ?? 0) + 1;
      if (identified.needsRehash) {
        needsRehash++;
        entry.needsRehash++;
      }
      const cost = Object.fromEntries(Object.entries(identified.params).filter(([k]) => !/salt|hash_bytes|checksum/.test(k)));
      const key = JSON.stringify(cost);
      const group = entry.costs.get(key);
      if (group) group.count++;
      else entry.costs.set(key, { cost, count: 1 });
    } catch (err) {
      const code = isHashdError(err) ? err.code : 'internal';
      unusable[code] = (unusable[code] ?? 0) + 1;
    }
  }
  const counts = await inventory.inventory(tenant);
  return {
    total,
    needsRehash,
    wrapped,
    unusable,
    schemes: [...schemes.entries()]
      .map(([scheme, e]) => ({ scheme, count: e.count, needsRehash: e.needsRehash, wrapped: e.wrapped, costs: [...e.costs.values()].sort((a, b) => b.count - a.count) }))
      .sort((a, b) => b.count - a.count),
    upgradesByDay: counts.upgradesByDay,
    weakNotLoggedInSinceImport: counts.weakNotLoggedInSinceImport,
  };
}
