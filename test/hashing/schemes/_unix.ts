/**
 * Small helpers shared by the Unix, LDAP, PHP and raw-digest scheme tests.
 */
import { HashdError } from '../../../src/errors';
import { loadVectorFiles, makeCrypt, type VectorFile } from '../../helpers';

/** The error codes a broken or too expensive hash may get; anything else is a bug. */
export const TYPED = ['malformed_hash', 'hash_cost_exceeds_cap'];

/** One fixture file of test/vectors. */
export function vectorFile(name: string): VectorFile {
  const loaded = loadVectorFiles()[name];
  if (!loaded) throw new Error(`test/vectors/${name}.json is missing`);
  return loaded;
}

/** A context whose policy names exactly this scheme (besides the default). */
export function only(scheme: string): ReturnType<typeof makeCrypt>['crypt'] {
  return makeCrypt({ schemes: ['argon2id', scheme], default: 'argon2id' }).crypt;
}

/** A password that differs in its first character (des_crypt reads only the first 8 bytes). */
export function wrong(password: string): string {
  return password.startsWith('X') ? `Y${password.slice(1)}` : `X${password.slice(1)}`;
}

/** 'resolved', a HashdError's code, or a description of an untyped error. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    return err instanceof HashdError ? err.code : `untyped error: ${String(err)}`;
  }
}
