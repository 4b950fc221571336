/**
 * Small helpers shared by the Unix, LDAP, PHP and raw-digest scheme tests.
 */
import { HashdError } from '../../../src/errors';
import type { VerifyOptions } from '../../../src/hashing/crypt-context';
import { expect, it } from 'vitest';
import { loadVectorFiles, makeCrypt, type Vector, type VectorFile } from '../../helpers';

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

/** Verify options for a fixture vector: no rehash, and the user or salt it carries. */
export function verifyOptions(v: Vector): VerifyOptions {
  return { rehash: false, ...(v.user !== undefined && { user: v.user }), ...(v.salt !== undefined && { salt: v.salt }) };
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

/**
 * The checks every fixture suite opens with: the scheme has reference vectors, each verifies with
 * its password and not with a wrong one, and the default policy identifies each as this scheme.
 */
export function vectorChecks(scheme: string, vectors: readonly Vector[], crypt: ReturnType<typeof makeCrypt>['crypt'], minVectors: number): void {
  it('has reference vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(minVectors);
  });

  it.each(vectors.map((v) => [v.note ?? v.hash, v] as const))('verifies %s, and refuses a wrong password', async (_label, v) => {
    await expect(crypt.verify(v.password, v.hash, verifyOptions(v))).resolves.toMatchObject({ scheme, valid: true });
    await expect(crypt.verify(wrong(v.password), v.hash, verifyOptions(v))).resolves.toMatchObject({ scheme, valid: false });
  });

  it('is the scheme the default policy identifies for every vector', () => {
    const { crypt: defaults } = makeCrypt();
    for (const v of vectors) expect(defaults.identify(v.hash).scheme).toBe(scheme);
  });
}
