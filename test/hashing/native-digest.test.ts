/**
 * SHA-crypt with long passwords: past a measured number of blocks per round the rounds run on
 * node:crypto instead of WebAssembly (schemes/crypt.ts, NATIVE_FROM_BLOCKS). Both paths give the
 * system crypt(3)'s results (libxcrypt, via test/vectors/crypt_long_generate.py) on either side
 * of the switch.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shaCryptChecksum } from '../../src/hashing/schemes/crypt';
import { registry } from '../helpers';

const file = JSON.parse(readFileSync(new URL('../vectors/crypt-long.json', import.meta.url), 'utf8')) as { vectors: { scheme: string; length: number; hash: string }[] };
const encoder = new TextEncoder();
const password = (length: number): string => Array.from({ length }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');

describe('sha-crypt with long passwords (native and WebAssembly rounds)', () => {
  it.each(file.vectors)('$scheme with a $length-byte password matches crypt(3)', async ({ scheme, length, hash }) => {
    const s = registry.get(scheme);
    if (!s) throw new Error(scheme);
    const parsed = s.parse(hash);
    await expect(s.verify(encoder.encode(password(length)), parsed, {} as never, {})).resolves.toBe(true);
    await expect(s.verify(encoder.encode(password(length - 1)), parsed, {} as never, {})).resolves.toBe(false);
    const bits = scheme === 'sha256_crypt' ? 256 : 512;
    const checksum = hash.slice(hash.lastIndexOf('$') + 1);
    // The portable (node:crypto) path agrees whichever path the default took.
    expect(shaCryptChecksum(bits, encoder.encode(password(length)), encoder.encode('longpwsalt'), 2000, { portable: true })).toBe(checksum);
    expect(shaCryptChecksum(bits, encoder.encode(password(length)), encoder.encode('longpwsalt'), 2000)).toBe(checksum);
  });
});
