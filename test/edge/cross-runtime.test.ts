/**
 * Hashes made on the edge verify on Node and the other way round, for every scheme hashd can make
 * new hashes of: the Worker build in local workerd (WebAssembly argon2, bcryptjs, WebCrypto
 * PBKDF2, @noble/hashes scrypt) against the Node CryptContext (native @node-rs, node:crypto).
 * Cheap parameters (named as such): the algorithms are the same at any cost, and the costs the
 * edge refuses are tested in worker.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyFile } from '../../src/hashing/policy-config';
import { makeCrypt, registry } from '../helpers';
import { apiKey, postJson, startWorker, type LocalWorker } from './_worker';

const PRODUCERS = registry.schemes.filter((s) => s.producer !== undefined).map((s) => s.name);

/** Weak on purpose (test speed): every producing scheme, cheap. */
const CHEAP: PolicyFile = {
  allow_weak_params: true,
  schemes: PRODUCERS,
  params: {
    argon2id: { memory_cost: 256, time_cost: 1 },
    argon2i: { memory_cost: 256, time_cost: 1 },
    argon2d: { memory_cost: 256, time_cost: 2, parallelism: 2 },
    bcrypt: { rounds: 4 },
    pbkdf2_sha256: { rounds: 1000 },
    pbkdf2_sha512: { rounds: 1000 },
    scrypt: { ln: 10, r: 8, p: 1 },
  },
};

const KEY = apiKey('acme', 'hashd_edge_cross_key_0123456789abc');
const PASSWORDS = ['correct horse battery staple', 'pässwörd-日本-🔑'];
let worker: LocalWorker;
const node = makeCrypt(CHEAP).crypt;

beforeAll(async () => {
  worker = await startWorker({ policy: CHEAP, vars: { HASHD_API_KEYS: KEY.entry } });
}, 300_000);
afterAll(async () => {
  await worker?.close();
});

const auth = { authorization: `Bearer ${KEY.key}` };

describe('edge ⇄ Node', () => {
  it('covers every producing scheme', () => {
    expect(PRODUCERS.sort()).toEqual(['argon2d', 'argon2i', 'argon2id', 'bcrypt', 'pbkdf2_sha256', 'pbkdf2_sha512', 'scrypt']);
  });

  it.each(PRODUCERS)('%s: made on the edge, verified on Node; made on Node, verified on the edge', async (scheme) => {
    for (const password of PASSWORDS) {
      const res = await worker.fetch('/v1/hash', postJson({ password, scheme }, auth));
      expect(res.status).toBe(200);
      const { hash } = (await res.json()) as { hash: string };
      expect(registry.get(scheme)?.identify(hash), hash).toBe(true);
      await expect(node.verify(password, hash)).resolves.toMatchObject({ valid: true, scheme });
      await expect(node.verify(`${password}!`, hash)).resolves.toMatchObject({ valid: false });

      const made = await node.hash(password, { scheme });
      const verified = await (await worker.fetch('/v1/verify', postJson({ password, hash: made.hash }, auth))).json();
      expect(verified).toMatchObject({ valid: true, scheme });
      const wrong = await (await worker.fetch('/v1/verify', postJson({ password: `${password}!`, hash: made.hash }, auth))).json();
      expect(wrong).toMatchObject({ valid: false });
    }
  });
});
