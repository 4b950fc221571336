/**
 * The Node.js implementation of the hashing seam: native argon2 and bcrypt from @node-rs (they run
 * on libuv's threadpool, so the event loop stays free) and node:crypto's async pbkdf2/scrypt (also
 * on the threadpool). This file is runtime-specific and is imported only by the Node entry, the
 * CLI and tests.
 */
import { hashRaw } from '@node-rs/argon2';
import { hash as bcryptHashNative, verify as bcryptVerifyNative } from '@node-rs/bcrypt';
import { pbkdf2 as pbkdf2Cb, scrypt as scryptCb } from 'node:crypto';
import type { HashBackend } from './backend';

// @node-rs/argon2 declares these as `const enum`s, which do not exist at run time under esbuild/tsx,
// so the numeric values from its index.d.ts are spelled out here.
const ALGORITHMS = { argon2d: 0, argon2i: 1, argon2id: 2 } as const;
const VERSIONS = { 16: 0, 19: 1 } as const;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function createNodeBackend(): HashBackend {
  return {
    async argon2Raw(password, o) {
      const out = await hashRaw(asBuffer(password), {
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        algorithm: ALGORITHMS[o.algorithm] as any,
        version: VERSIONS[o.version] as any,
        memoryCost: o.memoryCost,
        timeCost: o.timeCost,
        parallelism: o.parallelism,
        outputLen: o.outputLength,
        salt: asBuffer(o.salt),
      });
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
    bcryptHash(password, o) {
      return bcryptHashNative(asBuffer(password), o.cost, asBuffer(o.salt));
    },
    bcryptVerify(password, hash) {
      return bcryptVerifyNative(asBuffer(password), hash);
    },
    pbkdf2(password, o) {
      return new Promise((resolve, reject) => {
        pbkdf2Cb(password, o.salt, o.iterations, o.outputLength, o.digest, (err, key) =>
          err ? reject(err) : resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength)),
        );
      });
    },
    scrypt(password, o) {
      // maxmem must cover 128 * N * r (plus p * r blocks); caps bound N, r and p before we get here.
      const maxmem = 128 * o.N * o.r + 128 * o.r * o.p + 1024 * 1024;
      return new Promise((resolve, reject) => {
        scryptCb(password, o.salt, o.outputLength, { N: o.N, r: o.r, p: o.p, maxmem }, (err, key) =>
          err ? reject(err) : resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength)),
        );
      });
    },
  };
}
