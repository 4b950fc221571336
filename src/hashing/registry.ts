/**
 * The registry knows every scheme module hashd has and which of them claim a given hash string.
 * It holds no policy: which of the candidates a deployment accepts is the policy's decision.
 */
import type { Scheme } from './scheme';

export interface Registry {
  readonly schemes: readonly Scheme[];
  get(name: string): Scheme | undefined;
  /** Every scheme whose `identify` claims the string, in registration order. */
  candidates(hash: string): Scheme[];
}

export function createRegistry(schemes: readonly Scheme[]): Registry {
  const byName = new Map<string, Scheme>();
  for (const scheme of schemes) {
    if (byName.has(scheme.name)) throw new Error(`duplicate scheme name ${scheme.name}`);
    byName.set(scheme.name, scheme);
  }
  return {
    schemes,
    get: (name) => byName.get(name),
    candidates(hash) {
      const found: Scheme[] = [];
      for (const scheme of schemes) {
        let claimed = false;
        try {
          claimed = scheme.identify(hash);
        } catch {
          // identify is documented as total; a throwing module must not take the request down.
          claimed = false;
        }
        if (claimed) found.push(scheme);
      }
      return found;
    },
  };
}
