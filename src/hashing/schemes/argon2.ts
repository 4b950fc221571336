/**
 * argon2 in the PHC string format written by the reference implementation, argon2-cffi, passlib,
 * libsodium and @node-rs/argon2: `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<tag>`, base64 without
 * padding. A missing `v=` means version 16 (0x10), the format's first release.
 *
 * The three variants are three schemes of one family: a policy that lists argon2id still verifies
 * argon2i and argon2d hashes and reports them as outdated, so they are upgraded on login.
 */
import { malformed } from '../../errors';
import { equalBytes } from '../compare';
import { fromBase64, toBase64 } from '../encoding';
import type { ParsedHash, Scheme, SchemeProducer } from '../scheme';
import type { Argon2Algorithm } from '../backend';
import { decimal } from './framework-fields';

interface Argon2Data {
  version: 16 | 19;
  salt: Uint8Array;
  tag: Uint8Array;
}

const PATTERN = /^\$(argon2(?:id|i|d))\$(?:v=(\d{1,3})\$)?m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** Salts and tags longer than this are not something any implementation writes. */
const MAX_FIELD_BYTES = 1024;

function parseArgon2(algorithm: Argon2Algorithm, hash: string): ParsedHash<Argon2Data> {
  const m = PATTERN.exec(hash);
  if (!m || m[1] !== algorithm) throw malformed(algorithm, 'not a PHC argon2 string');
  // PHC decimals are canonical (no leading zero, no sign) and 32-bit, as argon2-cffi and passlib
  // read them: `m=019456` or `t=4294967296` is malformed, not another spelling of a cost.
  const version = m[2] === undefined ? 16 : decimal(algorithm, 'v', m[2], 0);
  if (version !== 16 && version !== 19) throw malformed(algorithm, 'unsupported version');
  const memory = decimal(algorithm, 'm', m[3] as string, 0);
  const time = decimal(algorithm, 't', m[4] as string, 0);
  const lanes = decimal(algorithm, 'p', m[5] as string, 0);
  if (time < 1 || lanes < 1 || lanes > 255) throw malformed(algorithm, 'parameter out of range');
  if (memory < 8 * lanes) throw malformed(algorithm, 'memory below 8 KiB per lane');
  const salt = fromBase64(m[6] as string, 'forbidden');
  const tag = fromBase64(m[7] as string, 'forbidden');
  if (!salt || !tag) throw malformed(algorithm, 'bad base64');
  if (salt.length < 8 || salt.length > MAX_FIELD_BYTES) throw malformed(algorithm, 'salt length out of range');
  if (tag.length < 4 || tag.length > MAX_FIELD_BYTES) throw malformed(algorithm, 'tag length out of range');
  return {
    scheme: algorithm,
    params: { version, memory_cost: memory, time_cost: time, parallelism: lanes, salt_bytes: salt.length, hash_bytes: tag.length },
    cost: { memory_cost: memory, time_cost: time, parallelism: lanes },
    variant: `v${version}`,
    saltBytes: salt.length,
    data: { version, salt, tag },
  };
}

function producer(algorithm: Argon2Algorithm): SchemeProducer {
  return {
    params: {
      memory_cost: { default: 19456, floor: 8, ceiling: 4 * 1024 * 1024 },
      time_cost: { default: 2, floor: 1, ceiling: 1000 },
      parallelism: { default: 1, floor: 1, ceiling: 64 },
      salt_bytes: { default: 16, floor: 8, ceiling: 64 },
      hash_bytes: { default: 32, floor: 16, ceiling: 64 },
    },
    weakness(p) {
      // OWASP lists equivalent argon2id settings from m=47104,t=1 to m=7168,t=5: roughly a
      // constant memory × passes product of at least 35840 KiB, and never under 7 MiB.
      const m = Number(p.memory_cost);
      const t = Number(p.time_cost);
      if (m < 7168) return 'memory_cost below 7168 KiB';
      if (m * t < 35840) return 'memory_cost × time_cost below OWASP minimum (19456 KiB × 2)';
      return null;
    },
    async hash(password, p, env) {
      const salt = env.randomBytes(Number(p.salt_bytes));
      const tag = await env.backend.argon2Raw(password, {
        algorithm,
        version: 19,
        memoryCost: Number(p.memory_cost),
        timeCost: Number(p.time_cost),
        parallelism: Number(p.parallelism),
        salt,
        outputLength: Number(p.hash_bytes),
      });
      const b64 = (bytes: Uint8Array): string => toBase64(bytes, { pad: false });
      return `$${algorithm}$v=19$m=${p.memory_cost},t=${p.time_cost},p=${p.parallelism}$${b64(salt)}$${b64(tag)}`;
    },
  };
}

function argon2Scheme(algorithm: Argon2Algorithm, description: string): Scheme {
  const prefix = `$${algorithm}$`;
  return {
    name: algorithm,
    family: 'argon2',
    description,
    costCaps: { memory_cost: 262144, time_cost: 32, parallelism: 16 },
    currentVariant: 'v19',
    minSaltBytes: 16,
    identify: (hash) => hash.startsWith(prefix),
    parse: (hash) => parseArgon2(algorithm, hash),
    async verify(password, parsed, env) {
      const { version, salt, tag } = parsed.data as Argon2Data;
      const computed = await env.backend.argon2Raw(password, {
        algorithm,
        version,
        memoryCost: parsed.cost.memory_cost as number,
        timeCost: parsed.cost.time_cost as number,
        parallelism: parsed.cost.parallelism as number,
        salt,
        outputLength: tag.length,
      });
      return equalBytes(computed, tag);
    },
    producer: producer(algorithm),
  };
}

export const argon2id = argon2Scheme('argon2id', 'argon2id (PHC winner, OWASP first choice): argon2-cffi, passlib, libsodium, PHP password_hash');
export const argon2i = argon2Scheme('argon2i', 'argon2i (data-independent variant): older argon2-cffi, PHP PASSWORD_ARGON2I');
export const argon2d = argon2Scheme('argon2d', 'argon2d (data-dependent variant): rare, some crypto-currency wallets');
