/**
 * Canonical cost fields and checksums (issue 7): real reference hashes from the committed
 * fixtures, mutated (a leading zero or `+` on a numeric field, a checksum without its last
 * character or with different trailing bits) by test/vectors/canonical_generate.py, which
 * recorded passlib's verdict on each (test/vectors/canonical.json). A string passlib refuses as
 * malformed is refused by hashd with a typed 4xx before any verify, and a string passlib accepts
 * but does not verify never verifies here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HashdError } from '../../src/errors';
import { cryptFor } from './schemes/_fixtures';

interface Mutation {
  scheme: string;
  original: string;
  hash: string;
  password: string;
  user?: string;
  mutation: string;
  passlib: 'refused' | 'accepted';
  verify?: boolean;
  why?: string;
}

const doc = JSON.parse(readFileSync(new URL('../vectors/canonical.json', import.meta.url), 'utf8')) as { vectors: Mutation[] };
const refused = doc.vectors.filter((v) => v.passlib === 'refused');
const acceptedFalse = doc.vectors.filter((v) => v.passlib === 'accepted' && v.verify === false);

async function outcome(v: Mutation): Promise<string> {
  const crypt = cryptFor(v.scheme);
  try {
    const result = await crypt.verify(v.password, v.hash, { rehash: false, ...(v.user !== undefined && { user: v.user }) });
    return `valid:${result.valid}`;
  } catch (err) {
    if (!(err instanceof HashdError)) throw err;
    return err.status >= 400 && err.status < 500 ? 'refused' : `error ${err.status} ${err.code}`;
  }
}

describe('non-canonical spellings of reference hashes', () => {
  it('has mutations of every passlib scheme with numeric fields or checksums', () => {
    expect(refused.length).toBeGreaterThan(200);
    for (const scheme of ['argon2id', 'bcrypt', 'bcrypt_sha256', 'sha512_crypt', 'sha256_crypt', 'pbkdf2_sha256', 'cta_pbkdf2_sha1', 'scrypt', 'grub_pbkdf2_sha512']) {
      expect(refused.some((v) => v.scheme === scheme), scheme).toBe(true);
    }
  });

  it('refuses, as passlib does, every spelling passlib refuses (identify and verify)', async () => {
    const wrong: string[] = [];
    for (const v of refused) {
      // The original verifies: the refusal is about the spelling, not the vector.
      expect(await outcome({ ...v, hash: v.original }), v.original).toBe('valid:true');
      const got = await outcome(v);
      if (got !== 'refused') wrong.push(`${v.scheme} ${v.mutation}: ${v.hash} -> ${got} (passlib: ${v.why})`);
    }
    expect(wrong).toEqual([]);
  });

  it('never verifies a spelling that passlib accepts but does not verify', async () => {
    for (const v of acceptedFalse) expect(await outcome(v), `${v.scheme} ${v.hash}`).not.toBe('valid:true');
  });
});
