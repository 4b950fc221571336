/**
 * Writes test/vectors/fernet/hashd.json: Fernet tokens made by hashd's own encoder (fixed keys,
 * IVs and timestamps derived from labels), for Python's `cryptography` to decrypt. Run by hand,
 * then run fernet_generate.py, which decrypts every token here with cryptography and records
 * what it read in python.json (see test/vectors/README.md):
 *
 *   npx tsx test/vectors/fernet_hashd_make.ts && python3 test/vectors/fernet_generate.py
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { encodeFernetKey, fernetEncrypt, importFernetKey } from '../../src/keys/fernet';

const label = (text: string, n: number): Uint8Array => new Uint8Array(createHash('sha256').update(text).digest()).slice(0, n);

const plaintexts: { name: string; bytes: Uint8Array }[] = [
  { name: 'empty', bytes: new Uint8Array(0) },
  { name: 'hello', bytes: new TextEncoder().encode('hello') },
  { name: 'one block', bytes: new TextEncoder().encode('0123456789abcdef') },
  { name: 'utf-8', bytes: new TextEncoder().encode('Grüße, 世界 🔐') },
  { name: 'binary', bytes: label('binary plaintext', 32) },
  { name: 'long', bytes: new TextEncoder().encode('x'.repeat(1000)) },
];

const cases = [];
for (const [i, p] of plaintexts.entries()) {
  const raw = label(`hashd fernet key ${i % 2}`, 32);
  const iv = label(`hashd fernet iv ${i}`, 16);
  const timestamp = 1_700_000_000 + i * 1000;
  const token = await fernetEncrypt(await importFernetKey(raw), p.bytes, { timestamp, iv });
  cases.push({ desc: p.name, key: encodeFernetKey(raw), iv: Buffer.from(iv).toString('hex'), timestamp, plaintextBase64: Buffer.from(p.bytes).toString('base64'), token });
}
writeFileSync(new URL('./fernet/hashd.json', import.meta.url), `${JSON.stringify({ source: 'hashd src/keys/fernet.ts (fernet_hashd_make.ts)', cases }, null, 2)}\n`);
console.log(`wrote ${cases.length} hashd-made tokens`);
