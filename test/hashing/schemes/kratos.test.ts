/**
 * Ory Kratos' legacy-digest import formats (src/hashing/schemes/kratos.ts): $md5$, $sha1$,
 * $sha256$, $sha512$ with a salt/password template, and $hmac-<alg>$. Vectors come from
 * test/vectors/beyond.json, which includes Kratos' own published test hashes.
 */
import { describe, expect, it } from 'vitest';
import { registry } from '../../helpers';
import { loadVectors, cryptFor, errorCode, first, fixtureSuite, fuzzSuite } from './_fixtures';

const KRATOS = ['kratos_md5', 'kratos_sha1', 'kratos_sha256', 'kratos_sha512', 'kratos_hmac'] as const;

fixtureSuite('beyond', KRATOS);

const beyond = loadVectors('beyond');
const crypt = cryptFor('kratos_md5');

describe('templates', () => {
  it("reads Kratos' published templates ({SALT}$${PASSWORD}, {PASSWORD}%%{SALT}, …)", async () => {
    // Kratos hash/hasher_test.go: pf={PASSWORD}%%{SALT}, salt=5opmkgz03r, password "test".
    await expect(crypt.verify('test', '$sha1$pf=e1BBU1NXT1JEfSUle1NBTFR9$NW9wbWtnejAzcg==$YX0AW8/MW5ojUlnzTaR43ucHCog=', { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'kratos_sha1' });
    // pf=??staticPrefix??{SALT}{PASSWORD}
    await expect(crypt.verify('test', '$sha1$pf=Pz9zdGF0aWNQcmVmaXg/P3tTQUxUfXtQQVNTV09SRH0=$NW9wbWtnejAzcg==$SAAxMUn7jxckQXkBmsVF0nHwqso=', { rehash: false })).resolves.toMatchObject({ valid: true });
    // pf=${PASSWORD}${SALT}$
    await expect(crypt.verify('test', '$sha1$pf=JHtQQVNTV09SRH0ke1NBTFR9JA==$NW9wbWtnejAzcg==$iE5n1yjX3oAdxRHwZ4u57I4LpQo=', { rehash: false })).resolves.toMatchObject({ valid: true });
    // The same string with another salt does not match.
    await expect(crypt.verify('test', '$sha1$pf=e1NBTFR9e1BBU1NXT1JEfQ==$cDJvb3ZrZGJ6cQ==$2qU2SGWP8viTM1md3FiI3+rjWXQ=', { rehash: false })).resolves.toMatchObject({ valid: false });
  });

  it('refuses a template without {PASSWORD}, which would accept every password', async () => {
    const salt = Buffer.from('{SALT}').toString('base64');
    expect(await errorCode(crypt.verify('x', `$md5$pf=${salt}$MTIz$q+RdKCgc+ipCAcm5ChQwlQ==`))).toBe('malformed_hash');
  });

  it('refuses digests of the wrong length and unpadded base64', async () => {
    const sha256 = first(beyond, 'kratos_sha256').hash;
    const sha1Digest = first(beyond, 'kratos_sha1').hash.split('$').pop() as string;
    const fields = sha256.split('$');
    fields[fields.length - 1] = sha1Digest;
    expect(await errorCode(crypt.verify('test', fields.join('$')))).toBe('malformed_hash');
    expect(await errorCode(crypt.verify('test', '$md5$CY9rzUYh03PK3k6DJie09g'))).toBe('malformed_hash');
    expect(await errorCode(crypt.verify('test', '$md5$CY9rzUYh03PK3k6DJie0'))).toBe('malformed_hash');
  });
});

describe('kratos_hmac', () => {
  it('verifies HMAC-MD4 (Kratos accepts it; node:crypto has no MD4)', async () => {
    // Kratos hash/hasher_test.go "hmac-md4": key "12345", password "test".
    const hash = '$hmac-md4$MWQ5ZTI4Nzc2Zjg4YmE2MTQ5YjQ0OTMyOGE4NWU4YjA=$MTIzNDU=';
    await expect(crypt.verify('test', hash, { rehash: false })).resolves.toMatchObject({ valid: true, scheme: 'kratos_hmac' });
    await expect(crypt.verify('ory', hash, { rehash: false })).resolves.toMatchObject({ valid: false });
    await expect(crypt.verify('test', hash.replace('MTIzNDU=', 'MTIzNA=='), { rehash: false })).resolves.toMatchObject({ valid: false });
  });

  it('refuses upper-case hex, an empty key and unknown digests', async () => {
    const hash = first(beyond, 'kratos_hmac').hash; // $hmac-md5$<b64 hex>$<b64 key>
    const [, , , stored, key] = hash.split('$');
    const upper = Buffer.from(Buffer.from(stored as string, 'base64').toString('latin1').toUpperCase(), 'latin1').toString('base64');
    for (const bad of [`$hmac-md5$${upper}$${key}`, `$hmac-md5$${stored}$`, `$hmac-sha3$${stored}$${key}`, '$hmac-md5$$MTIzNDU=']) {
      expect(await errorCode(crypt.verify('test', bad)), bad).toBe('malformed_hash');
    }
  });
});

describe('identification', () => {
  it('each prefix picks its scheme', () => {
    for (const scheme of KRATOS) expect(registry.candidates(first(beyond, scheme).hash).map((s) => s.name)).toEqual([scheme]);
  });

  it("leaves Sun's md5_crypt and NetBSD's sha1_crypt to their own schemes", () => {
    for (const sun of ['$md5$rounds=5000$GUBv0xjJ$$mSwgIswdjlTY0YxV7HBVm0', '$md5$3UqYqndY$$6P.aaWOoucxxq.l00SS9k0', '$md5,rounds=5000$GUBv0xjJ$$mSwgIswdjlTY0YxV7HBVm0']) {
      expect(registry.get('kratos_md5')?.identify(sun), sun).toBe(false);
    }
    expect(registry.get('kratos_sha1')?.identify('$sha1$19703$iVdJqfSE$v4qYKl1zqYThwpjJAoKX6UvlHq/a')).toBe(false);
    // Kratos' crypt wrappers ($md5-crypt$, $sha512-crypt$) are the crypt module's.
    expect(registry.candidates('$sha512-crypt$rounds=656000$3LVbIAVxR//cRajw$uuNasMW.RYxlGzIRFU1Was70BPSa933AjxhZIGJdJBOlqJAHlgqa0yuiuq5JHF/ryNGryJkj87G9i3G2HPSXg1').map((s) => s.name)).not.toContain('kratos_sha512');
  });

  fuzzSuite(KRATOS, [...KRATOS.map((s) => first(beyond, s).hash), '$md5$pf=e1NBTFR9JCR7UEFTU1dPUkR9$MTIzNA==$ud392Z8rfZ+Ou7ZFXYLKbA==']);
});
