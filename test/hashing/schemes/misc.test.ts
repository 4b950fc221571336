/**
 * The import formats of src/hashing/schemes/crypt.ts and raw.ts that come from applications rather
 * than from Unix: Ory Kratos' $md5-crypt$/$sha256-crypt$/$sha512-crypt$, Joomla's md5-hex:salt
 * (test/vectors/beyond.json, with Kratos' own published examples), and the configurable
 * salted_digest, checked against hashcat's published salted examples and node:crypto digests.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadHashcatExamples, registry, type HashcatExample, type Vector } from '../../helpers';
import { only, outcome, TYPED, vectorChecks, vectorFile, wrong } from './_unix';

/** The reference file's lines also keep hashcat's own name and spelling of each example. */
type HashcatLine = HashcatExample & { hashcat_name?: string; hashcat_hash?: string };

const file = vectorFile('beyond');

/** Damaged copies of a hash; Joomla's salt may be 16-32 characters, so only its digest is cut. */
function mutations(scheme: string, hash: string): string[] {
  if (scheme === 'joomla_md5') return [hash.slice(1), `0${hash}`, `g${hash.slice(1)}`, `${hash.slice(0, 33)}`, `${hash.slice(0, 33)}a`];
  return [hash.slice(0, -1), `${hash}.`, `${hash.slice(0, -1)}!`, hash.slice(0, hash.lastIndexOf('$') + 1)];
}

describe.each(['kratos_md5_crypt', 'kratos_sha256_crypt', 'kratos_sha512_crypt', 'joomla_md5'])('%s fixtures', (scheme) => {
  const vectors = file.vectors.filter((v) => v.scheme === scheme);
  const crypt = only(scheme);

  vectorChecks(scheme, vectors, crypt, 4);

  it('refuses every malformed fixture with a typed error, unless it is another format', async () => {
    const malformed = (file.malformed ?? []).filter((m) => m.scheme === scheme);
    expect(malformed.length).toBeGreaterThan(0);
    for (const m of malformed) {
      if (!registry.candidates(m.hash).some((s) => s.name === scheme)) {
        // A Joomla hash without its ":salt" is a well-formed bare hex digest, another format.
        expect(registry.candidates(m.hash).length, m.why).toBeGreaterThan(0);
        continue;
      }
      expect(TYPED, m.why).toContain(await outcome(crypt.verify('password', m.hash)));
    }
  });

  it('refuses truncated, extended and damaged strings with a typed error', async () => {
    for (const v of vectors.slice(0, 3)) {
      for (const mutated of mutations(scheme, v.hash)) expect(TYPED, mutated).toContain(await outcome(crypt.verify(v.password, mutated)));
    }
  });
});

describe('Kratos crypt formats', () => {
  it('are parsed as the crypt hash they wrap, with the same cost and caps', () => {
    const v = file.vectors.find((x) => x.scheme === 'kratos_sha512_crypt' && x.hash.includes('rounds=1000$')) as Vector;
    const kratos = registry.get('kratos_sha512_crypt')?.parse(v.hash);
    const plain = registry.get('sha512_crypt')?.parse(v.hash.replace('$sha512-crypt$', '$6$'));
    expect(kratos?.cost).toEqual(plain?.cost);
    expect(registry.get('kratos_sha512_crypt')?.costCaps).toEqual(registry.get('sha512_crypt')?.costCaps);
  });

  it('refuses a Kratos sha512-crypt hash above the cap', async () => {
    const v = file.vectors.find((x) => x.scheme === 'kratos_sha512_crypt' && x.hash.includes('rounds=1000$')) as Vector;
    expect(await outcome(only('kratos_sha512_crypt').verify(v.password, v.hash.replace('rounds=1000$', 'rounds=5000000$')))).toBe('hash_cost_exceeds_cap');
  });
});

/** `digest(algorithm, first + second)` in hex, by node:crypto (OpenSSL), the reference here. */
function reference(algorithm: string, first: string | Uint8Array, second: string | Uint8Array, encoding: 'hex' | 'base64'): string {
  return createHash(algorithm).update(first).update(second).digest(encoding);
}

describe('salted_digest', () => {
  const crypt = only('salted_digest');

  describe("hashcat's published salted examples", () => {
    const all = loadHashcatExamples();
    // Modes 20 (md5($salt.$pass)) and 120 (sha1($salt.$pass)) appear in the reference file as
    // Django hashes; their hashcat form "digest:salt" is a salt-column import.
    const salted = (all as HashcatLine[]).filter((e) => e.valid !== null && /^(md5|sha1)\(\$salt\.\$pass\)$/.test(e.hashcat_name ?? ''));

    it('finds them in the reference file', () => {
      expect(salted.length).toBeGreaterThanOrEqual(4);
    });

    it.each(salted.map((e) => [e.id, e] as const))('%s', async (_id, e) => {
      const [digest, salt] = (e.hashcat_hash ?? '').split(':') as [string, string];
      const algorithm = e.hash.startsWith('md5$') ? 'md5' : 'sha1';
      const hash = `$salted$${algorithm},pos=prefix,enc=hex$${digest}`;
      await expect(crypt.verify(e.password, hash, { rehash: false, salt })).resolves.toMatchObject({ scheme: 'salted_digest', valid: e.valid });
    });
  });

  const password = 'pässwörd-日本-🔑';
  const cases = [
    { algorithm: 'md5', pos: 'prefix', saltEnc: 'utf8', enc: 'hex', salt: 'Zq9!salt' },
    { algorithm: 'sha1', pos: 'suffix', saltEnc: 'utf8', enc: 'hex', salt: 'abc' },
    { algorithm: 'sha256', pos: 'suffix', saltEnc: 'hex', enc: 'b64', salt: '00ff10ab' },
    { algorithm: 'sha512', pos: 'prefix', saltEnc: 'b64', enc: 'b64', salt: 'c2FsdHk=' },
    { algorithm: 'sha256', pos: 'prefix', saltEnc: undefined, enc: 'hex', salt: 'plain salt' },
  ] as const;

  it.each(cases)('$algorithm, salt as $pos ($saltEnc salt, $enc digest)', async (c) => {
    const saltBytes = c.saltEnc === 'hex' ? Buffer.from(c.salt, 'hex') : c.saltEnc === 'b64' ? Buffer.from(c.salt, 'base64') : Buffer.from(c.salt, 'utf8');
    const pw = Buffer.from(password, 'utf8');
    const digest = c.pos === 'prefix' ? reference(c.algorithm, saltBytes, pw, c.enc === 'hex' ? 'hex' : 'base64') : reference(c.algorithm, pw, saltBytes, c.enc === 'hex' ? 'hex' : 'base64');
    const hash = `$salted$${c.algorithm},pos=${c.pos}${c.saltEnc ? `,salt=${c.saltEnc}` : ''},enc=${c.enc}$${digest}`;
    await expect(crypt.verify(password, hash, { rehash: false, salt: c.salt })).resolves.toMatchObject({ scheme: 'salted_digest', valid: true });
    await expect(crypt.verify(`${password}!`, hash, { rehash: false, salt: c.salt })).resolves.toMatchObject({ valid: false });
    const other = c.saltEnc === 'hex' ? '00ff10ac' : c.saltEnc === 'b64' ? 'c2FsdHl=' : `${c.salt}x`;
    const code = await outcome(crypt.verify(password, hash, { rehash: false, salt: other }));
    expect(['resolved', 'invalid_request']).toContain(code);
    if (code === 'resolved') await expect(crypt.verify(password, hash, { rehash: false, salt: other })).resolves.toMatchObject({ valid: false });
  });

  it('needs the salt: without it the request is refused with missing_hash_input', async () => {
    expect(await outcome(crypt.verify('x', `$salted$md5,pos=prefix,enc=hex$${'0'.repeat(32)}`))).toBe('missing_hash_input');
  });

  it('refuses a salt that does not decode as the hash says', async () => {
    expect(await outcome(crypt.verify('x', `$salted$md5,pos=prefix,salt=hex,enc=hex$${'0'.repeat(32)}`, { salt: 'xyz' }))).toBe('invalid_request');
  });

  it.each([
    ['unknown algorithm', `$salted$md4,pos=prefix,enc=hex$${'0'.repeat(32)}`],
    ['missing position', `$salted$md5,enc=hex$${'0'.repeat(32)}`],
    ['fields out of order', `$salted$md5,enc=hex,pos=prefix$${'0'.repeat(32)}`],
    ['digest of the wrong length', `$salted$sha1,pos=prefix,enc=hex$${'0'.repeat(32)}`],
    ['odd-length hex', `$salted$md5,pos=prefix,enc=hex$${'0'.repeat(31)}`],
    ['non-canonical base64', '$salted$md5,pos=prefix,enc=b64$AAAAAAAAAAAAAAAAAAAAAB=='],
    ['empty digest', '$salted$md5,pos=prefix,enc=hex$'],
  ])('refuses %s as malformed', async (_label, hash) => {
    expect(await outcome(crypt.verify('x', hash, { salt: 's' }))).toBe('malformed_hash');
  });
});
