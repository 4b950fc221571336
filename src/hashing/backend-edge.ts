/**
 * The edge implementation of the hashing seam, for runtimes that load no native modules and
 * compile no WebAssembly from bytes at run time (Cloudflare Workers):
 *
 * - argon2: the reference C implementation compiled to WebAssembly (@phi-ag/argon2). The module
 *   is handed in already compiled, because a Worker receives it as an import at build time;
 *   this file calls the module's `argon2_hash` with raw bytes (the package's own wrapper takes a
 *   string and passes its UTF-16 length as the byte length, which is wrong beyond ASCII).
 * - bcrypt: bcryptjs, plain JavaScript that yields between rounds.
 * - PBKDF2: WebCrypto's deriveBits. Workers refuse more than 100,000 iterations.
 * - scrypt: @noble/hashes' audited pure implementation, which yields every few milliseconds.
 *
 * What the edge cannot carry is refused before any work, with `scheme_unavailable_here`: PBKDF2
 * above 100,000 iterations, and argon2 or scrypt whose memory times the hashing concurrency goes
 * beyond the isolate's 128 MB. The error names the algorithm; `withEdgeSchemeNames` adds the name
 * of the scheme the caller sees.
 *
 * Nothing here imports a `node:` module, so the file runs unchanged on Node (the tests use it
 * there, with the module compiled from the package's file) and in workerd.
 */
import bcryptjs from 'bcryptjs';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { HashdError } from '../errors';
import type { Argon2RawOptions, HashBackend, Pbkdf2Options, ScryptOptions } from './backend';
import type { Scheme } from './scheme';

/** Workers' WebCrypto refuses PBKDF2 above this many iterations. */
export const EDGE_MAX_PBKDF2_ITERATIONS = 100_000;
/** A Worker isolate's memory limit (128 MB), in KiB: what all hashes running at once may hold. */
export const EDGE_MEMORY_BUDGET_KIB = 128 * 1024;

export interface EdgeBackendOptions {
  /** The compiled @phi-ag/argon2 module (`import wasm from '@phi-ag/argon2/argon2.wasm'`). */
  argon2Module: WebAssembly.Module;
  /** Hashes that may run at once (the limiter's concurrency): each may hold its own memory. */
  concurrency: number;
  /** Defaults to EDGE_MEMORY_BUDGET_KIB. */
  memoryBudgetKiB?: number;
  /** Defaults to EDGE_MAX_PBKDF2_ITERATIONS. */
  maxPbkdf2Iterations?: number;
}

/** The error the edge backend throws; `withEdgeSchemeNames` adds the scheme. */
export function unavailableHere(algorithm: string, why: string): HashdError {
  return new HashdError('scheme_unavailable_here', `${algorithm} is not available on the edge: ${why}; use the Node service for it`, {
    details: { algorithm },
  });
}

interface Argon2Exports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  _initialize(): void;
  argon2_hash(
    t: number,
    m: number,
    p: number,
    pwd: number,
    pwdLen: number,
    salt: number,
    saltLen: number,
    hash: number,
    hashLen: number,
    encoded: number,
    encodedLen: number,
    type: number,
    version: number,
  ): number;
  argon2_error_message(code: number): number;
}

const ARGON2_TYPES = { argon2d: 0, argon2i: 1, argon2id: 2 } as const;
/** ARGON2_MEMORY_ALLOCATION_ERROR in argon2.h: the module could not grow its memory. */
const ARGON2_MEMORY_ALLOCATION_ERROR = -22;

/**
 * One instance per backend. WebAssembly runs synchronously on the isolate's only thread, so two
 * calls never overlap inside it; memory freed by one hash is reused by the next.
 */
function argon2Instance(module: WebAssembly.Module): (password: Uint8Array, o: Argon2RawOptions) => Uint8Array {
  const instance = new WebAssembly.Instance(module, {});
  const x = instance.exports as unknown as Argon2Exports;
  x._initialize();
  const cString = (ptr: number): string => {
    const heap = new Uint8Array(x.memory.buffer);
    let end = ptr;
    while (heap[end] !== 0 && end < heap.length) end++;
    return new TextDecoder().decode(heap.subarray(ptr, end));
  };
  return (password, o) => {
    // malloc(0) may answer 0, which argon2 reads as "no password": keep one byte allocated.
    const pwd = x.malloc(Math.max(1, password.length));
    const salt = x.malloc(Math.max(1, o.salt.length));
    const out = x.malloc(o.outputLength);
    try {
      if (pwd === 0 || salt === 0 || out === 0) throw unavailableHere(o.algorithm, 'out of memory');
      new Uint8Array(x.memory.buffer).set(password, pwd);
      new Uint8Array(x.memory.buffer).set(o.salt, salt);
      const code = x.argon2_hash(o.timeCost, o.memoryCost, o.parallelism, pwd, password.length, salt, o.salt.length, out, o.outputLength, 0, 0, ARGON2_TYPES[o.algorithm], o.version);
      if (code === ARGON2_MEMORY_ALLOCATION_ERROR) throw unavailableHere(o.algorithm, `memory_cost=${o.memoryCost} KiB could not be allocated`);
      if (code !== 0) throw new Error(`argon2: ${cString(x.argon2_error_message(code))}`);
      return new Uint8Array(x.memory.buffer).slice(out, out + o.outputLength);
    } finally {
      // The password must not linger in the module's heap for the next caller's hash to find.
      const heap = new Uint8Array(x.memory.buffer);
      heap.fill(0, pwd, pwd + password.length);
      heap.fill(0, out, out + o.outputLength);
      x.free(out);
      x.free(salt);
      x.free(pwd);
    }
  };
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * bcryptjs takes a string and encodes it as UTF-8 itself; every password hashd hands to bcrypt is
 * UTF-8 (or ASCII from a pre-hash), except one cut at 72 bytes inside a character, which only the
 * legacy truncation setting produces.
 */
function bcryptText(password: Uint8Array): string {
  try {
    return fatalUtf8.decode(password);
  } catch {
    throw unavailableHere('bcrypt', 'bcryptjs only takes whole UTF-8 characters and this password is cut inside one');
  }
}

/** bcrypt's radix-64 alphabet for the 16-byte salt, via bcryptjs' own encoder. */
function bcryptSalt(cost: number, salt: Uint8Array): string {
  return `$2b$${String(cost).padStart(2, '0')}$${bcryptjs.encodeBase64(Array.from(salt), 16)}`;
}

const WEBCRYPTO_DIGESTS = { sha1: 'SHA-1', sha256: 'SHA-256', sha512: 'SHA-512' } as const;

export function createEdgeBackend(options: EdgeBackendOptions): HashBackend {
  const budgetKiB = options.memoryBudgetKiB ?? EDGE_MEMORY_BUDGET_KIB;
  const maxIterations = options.maxPbkdf2Iterations ?? EDGE_MAX_PBKDF2_ITERATIONS;
  const concurrency = Math.max(1, options.concurrency);
  const perHashKiB = Math.floor(budgetKiB / concurrency);
  let argon2: ReturnType<typeof argon2Instance> | undefined;

  return {
    async argon2Raw(password, o) {
      if (o.memoryCost > perHashKiB) {
        throw unavailableHere(o.algorithm, `memory_cost=${o.memoryCost} KiB × concurrency ${concurrency} exceeds the isolate's ${budgetKiB / 1024} MiB`);
      }
      argon2 ??= argon2Instance(options.argon2Module);
      return argon2(password, o);
    },
    bcryptHash(password, o) {
      return bcryptjs.hash(bcryptText(password), bcryptSalt(o.cost, o.salt));
    },
    bcryptVerify(password, hash) {
      return bcryptjs.compare(bcryptText(password), hash);
    },
    async pbkdf2(password, o: Pbkdf2Options) {
      if (o.iterations > maxIterations) {
        throw unavailableHere(`pbkdf2_${o.digest}`, `${o.iterations} iterations exceed the ${maxIterations} that Workers' WebCrypto allows`);
      }
      const key = await crypto.subtle.importKey('raw', password as Uint8Array<ArrayBuffer>, 'PBKDF2', false, ['deriveBits']);
      const bits = await crypto.subtle.deriveBits(
        { name: 'PBKDF2', hash: WEBCRYPTO_DIGESTS[o.digest], salt: o.salt as Uint8Array<ArrayBuffer>, iterations: o.iterations },
        key,
        o.outputLength * 8,
      );
      return new Uint8Array(bits);
    },
    async scrypt(password, o: ScryptOptions) {
      const kib = (128 * o.N * o.r + 128 * o.r * o.p) / 1024;
      if (kib > perHashKiB) {
        throw unavailableHere('scrypt', `N=${o.N}, r=${o.r} needs ${Math.ceil(kib / 1024)} MiB × concurrency ${concurrency}, beyond the isolate's ${budgetKiB / 1024} MiB`);
      }
      // asyncTick yields to the event loop every 10 ms, so one scrypt does not stall the isolate.
      return scryptAsync(password, o.salt, { N: o.N, r: o.r, p: o.p, dkLen: o.outputLength, maxmem: 128 * o.N * o.r + 128 * o.r * o.p + 1024 * 1024, asyncTick: 10 });
    },
  };
}

/**
 * The schemes with the edge backend's refusals named after the scheme the caller sees
 * (`details.scheme`), e.g. django_pbkdf2_sha256 rather than the PBKDF2 call inside it.
 */
export function withEdgeSchemeNames(schemes: readonly Scheme[]): Scheme[] {
  const rename = (scheme: Scheme, err: unknown): unknown => {
    if (!(err instanceof HashdError) || err.code !== 'scheme_unavailable_here' || err.details?.scheme !== undefined) return err;
    return new HashdError('scheme_unavailable_here', err.message.replace(/^[^ ]+ is not available/, `${scheme.name} is not available`), {
      details: { ...err.details, scheme: scheme.name },
    });
  };
  return schemes.map((scheme) => {
    const producer = scheme.producer;
    const wrapped: Scheme = {
      ...scheme,
      identify: (hash) => scheme.identify(hash),
      parse: (hash) => scheme.parse(hash),
      async verify(password, parsed, env, extras) {
        try {
          return await scheme.verify(password, parsed, env, extras);
        } catch (err) {
          throw rename(scheme, err);
        }
      },
      ...(producer && {
        producer: {
          ...producer,
          ...(producer.weakness && { weakness: (params) => producer.weakness!(params) }),
          async hash(password, params, env) {
            try {
              return await producer.hash(password, params, env);
            } catch (err) {
              throw rename(scheme, err);
            }
          },
        },
      }),
    };
    return wrapped;
  });
}
