/**
 * Known answers for the generated WebAssembly digests (src/hashing/digest-wasm.ts): the
 * FIPS 180-2 appendix examples for SHA-256 and SHA-512 (one block, two blocks, one million "a"),
 * RFC 1321's suite for MD5, agreement with node:crypto around the padding boundaries, and the
 * iterated mode the crypt schemes use.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/hashing/encoding';
import { digestWasmAvailable, digestWasmBuild, selectDigestWasmBuildForTests, wasmDigest, wasmIterate, type WasmDigest } from '../../src/hashing/digest-wasm';

const encoder = new TextEncoder();

function digest(algorithm: WasmDigest, message: Uint8Array): string {
  const out = wasmDigest(algorithm, message);
  if (!out) throw new Error('WebAssembly is not available');
  return toHex(out);
}

const KNOWN: readonly [WasmDigest, string, string][] = [
  // FIPS 180-2, appendices B and C.
  ['sha256', 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
  ['sha256', 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ['sha256', '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
  ['sha512', 'abc', 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'],
  [
    'sha512',
    'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
    '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909',
  ],
  ['sha512', '', 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e'],
  // RFC 1321, appendix A.5.
  ['md5', '', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['md5', 'abc', '900150983cd24fb0d6963f7d28e17f72'],
  ['md5', 'message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
  ['md5', 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
  ['md5', '12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
];

// Both builds of the module: the SIMD one Node runs, and the scalar one of engines without SIMD.
for (const build of ['simd', 'scalar'] as const) describe(`digest-wasm, ${build} build (FIPS 180-2 and RFC 1321 examples)`, () => {
  beforeAll(() => selectDigestWasmBuildForTests(build));
  afterAll(() => selectDigestWasmBuildForTests('auto'));

  it('compiles on Node', () => {
    expect(digestWasmAvailable()).toBe(true);
    expect(digestWasmBuild()).toBe(build);
  });

  for (const [algorithm, message, expected] of KNOWN) {
    it(`${algorithm}("${message.length > 20 ? `${message.slice(0, 20)}…` : message}")`, () => {
      expect(digest(algorithm, encoder.encode(message))).toBe(expected);
    });
  }

  it('SHA-256 and SHA-512 of one million "a"', () => {
    const million = new Uint8Array(1_000_000).fill(0x61);
    expect(digest('sha256', million)).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
    expect(digest('sha512', million)).toBe(
      'e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b',
    );
  });

  it('agrees with node:crypto for every length from 0 to 300 bytes', () => {
    for (let length = 0; length <= 300; length++) {
      const data = Uint8Array.from({ length }, (_, i) => (i * 131 + length) & 0xff);
      for (const algorithm of ['md5', 'sha256', 'sha512'] as const) {
        expect(digest(algorithm, data)).toBe(createHash(algorithm).update(data).digest('hex'));
      }
    }
  });

  it('iterates digest(previous digest + suffix) like a node:crypto loop', () => {
    const suffix = encoder.encode('a password');
    for (const algorithm of ['md5', 'sha256', 'sha512'] as const) {
      const size = createHash(algorithm).digest().length;
      let expected: Uint8Array = createHash(algorithm).update('start').digest();
      const initial = expected;
      for (let i = 0; i < 100; i++) expected = createHash(algorithm).update(expected).update(suffix).digest();
      const message = new Uint8Array(size + suffix.length);
      message.set(suffix, size);
      const got = wasmIterate(algorithm, initial, [{ message, slot: 0 }], 100, 'single');
      expect(got && toHex(got)).toBe(toHex(expected));
    }
  });
});
