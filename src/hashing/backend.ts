/**
 * The seam between the pure hashing code and the runtime's fast primitives. The Node entry plugs
 * in native @node-rs/argon2 and @node-rs/bcrypt plus node:crypto's threadpool KDFs; an edge entry
 * plugs in WASM builds. Every method takes bytes and one options object, in the same order, so a
 * scheme never knows which runtime it runs on.
 *
 * All methods are async and expected to run off the main thread where the runtime allows: the
 * service's concurrency limiter counts one call as one unit of hashing work.
 */

export type Argon2Algorithm = 'argon2d' | 'argon2i' | 'argon2id';

export interface Argon2RawOptions {
  algorithm: Argon2Algorithm;
  /** 16 (0x10) or 19 (0x13). */
  version: 16 | 19;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  salt: Uint8Array;
  outputLength: number;
}

export interface ScryptOptions {
  N: number;
  r: number;
  p: number;
  salt: Uint8Array;
  outputLength: number;
}

export interface Pbkdf2Options {
  digest: 'sha1' | 'sha256' | 'sha512';
  iterations: number;
  salt: Uint8Array;
  outputLength: number;
}

export interface HashBackend {
  /** The raw argon2 tag for the given inputs (no string encoding). */
  argon2Raw(password: Uint8Array, options: Argon2RawOptions): Promise<Uint8Array>;
  /** A modular-crypt `$2b$` bcrypt string for a 16-byte salt. The password is at most 72 bytes. */
  bcryptHash(password: Uint8Array, options: { cost: number; salt: Uint8Array }): Promise<string>;
  /** Checks a `$2a$`/`$2b$`/`$2y$` string. The password is at most 72 bytes. */
  bcryptVerify(password: Uint8Array, hash: string): Promise<boolean>;
  pbkdf2(password: Uint8Array, options: Pbkdf2Options): Promise<Uint8Array>;
  scrypt(password: Uint8Array, options: ScryptOptions): Promise<Uint8Array>;
}
