/**
 * Fernet keys as a service: named keys per tenant (create/import, list, get, rotate, retire old
 * versions, delete), encrypt, decrypt, rewrap, and export of exportable keys. Tokens are standard
 * Fernet, so Python's `cryptography` reads and writes them. Key management that destroys or
 * reveals keys (DELETE, export) needs the admin scope. No handler logs a body: plaintext, tokens
 * and key material never reach a log line or an error message.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Clock, RandomBytes } from '../clock';
import type { Repositories } from '../db/index';
import { HashdError, type ErrorCode } from '../errors';
import { fromBase64, toBase64 } from '../keys/bytes';
import { decodeFernetKey } from '../keys/fernet';
import { createNamedKeys, KEY_NAME_PATTERN, MAX_KEY_VERSIONS, type NamedKeys } from '../keys/named-keys';
import type { KeyRing } from '../keys/ring';
import { requireScope } from './auth';
import { jsonBody } from './body';
import { createRouter, defineRoute } from './openapi';
import { JSON_BODY_ERRORS } from './passwords';
import { databaseGate } from './users';
import { gate } from './gate';

export interface KeyRoutesDeps {
  repositories: (c: Context) => Repositories;
  /** Undefined when no ring is configured: every route answers 503 key_unavailable. */
  keyRing: KeyRing | undefined;
  clock: Clock;
  randomBytes: RandomBytes;
  maxBodyBytes: number;
}

/** Refuses before anything else when the service has no master key ring (production without HASHD_KEYS). */
export function ringGate(ring: KeyRing | undefined): MiddlewareHandler {
  return gate(() => {
    if (ring === undefined) throw new HashdError('key_unavailable', 'this feature needs the master key ring: configure HASHD_KEYS (npx hashd keys new-ring-key)');
  });
}

const keyName = z.string().regex(KEY_NAME_PATTERN).meta({ description: 'Key name: 1-64 characters of A-Z a-z 0-9 _ . -' });
const nameParams = z.object({ name: keyName });
const fernetKeyText = z.string().max(64).meta({ description: 'A Fernet key as `Fernet(key)` takes it: url-safe base64 of 32 bytes.' });

const createKeyRequest = z
  .strictObject({
    name: keyName,
    exportable: z.boolean().optional().meta({ description: 'Whether GET /v1/keys/{name}/export may reveal it. Default false; cannot be changed later.' }),
    fernetKeys: z.array(fernetKeyText).min(1).max(MAX_KEY_VERSIONS).optional().meta({ description: 'Import existing Fernet keys as versions 1..n, oldest first (the last one encrypts).' }),
  })
  .meta({ id: 'CreateKeyRequest' });
const keyVersionResponse = z.object({ name: z.string(), version: z.number().int() }).meta({ id: 'KeyVersion' });
const keyInfo = z.object({
  name: z.string(),
  latestVersion: z.number().int(),
  minDecryptionVersion: z.number().int(),
  exportable: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const keyInfoResponse = keyInfo.meta({ id: 'KeyInfo' });
const keyListResponse = z.object({ keys: z.array(keyInfo) }).meta({ id: 'KeyList' });
const keyDetailsResponse = keyInfo.extend({ versions: z.array(z.object({ version: z.number().int(), createdAt: z.string() })) }).meta({ id: 'KeyDetails' });
const patchKeyRequest = z.strictObject({ minDecryptionVersion: z.number().int().min(1).max(MAX_KEY_VERSIONS) }).meta({ id: 'PatchKeyRequest' });
const deleteKeyRequest = z.strictObject({ confirm: z.string().max(64).meta({ description: 'The key name again: deleting destroys every version and cannot be undone.' }) }).meta({ id: 'DeleteKeyRequest' });
const encryptRequest = z
  .union([
    z.strictObject({ plaintext: z.string().meta({ description: 'UTF-8 text to encrypt.' }) }),
    z.strictObject({ plaintextBase64: z.string().meta({ description: 'Bytes to encrypt, standard base64.' }) }),
  ])
  .meta({ id: 'EncryptRequest' });
const tokenText = z.string().min(1).max(1 << 22).meta({ description: 'A Fernet token.' });
const tokenResponse = z.object({ token: z.string(), version: z.number().int().meta({ description: 'The key version that encrypted it.' }) }).meta({ id: 'TokenResponse' });
const decryptRequest = z
  .strictObject({
    token: tokenText,
    ttlSeconds: z.number().int().min(1).max(100 * 365 * 86_400).optional().meta({ description: 'Refuse tokens older than this (422 token_expired), as Fernet.decrypt(token, ttl).' }),
  })
  .meta({ id: 'DecryptRequest' });
const decryptResponse = z
  .object({
    plaintext: z.string().optional().meta({ description: 'The plaintext, when it is valid UTF-8.' }),
    plaintextBase64: z.string().optional().meta({ description: 'The plaintext bytes, when they are not valid UTF-8.' }),
  })
  .meta({ id: 'DecryptResponse' });
const rewrapRequest = z.strictObject({ token: tokenText }).meta({ id: 'RewrapRequest' });
const exportResponse = z
  .object({ name: z.string(), keys: z.array(z.object({ version: z.number().int(), key: z.string().meta({ description: 'Fernet(key) input.' }) })) })
  .meta({ id: 'KeyExport' });

const COMMON: readonly ErrorCode[] = ['unauthorized', 'key_unavailable', 'database_unavailable'];
const json = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const ok = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

export const createKeyRoute = defineRoute({
  method: 'post',
  path: '/keys',
  tags: ['keys'],
  summary: 'Create a named Fernet key (or import existing Fernet keys as its versions)',
  request: { body: json(createKeyRequest) },
  responses: { 201: ok('Created', keyVersionResponse) },
  errors: [...JSON_BODY_ERRORS, ...COMMON, 'conflict'],
});
export const listKeysRoute = defineRoute({
  method: 'get',
  path: '/keys',
  tags: ['keys'],
  summary: "The tenant's named keys (never key material)",
  responses: { 200: ok('Keys', keyListResponse) },
  errors: [...COMMON],
});
export const getKeyRoute = defineRoute({
  method: 'get',
  path: '/keys/{name}',
  tags: ['keys'],
  summary: 'One key: versions with creation dates, minDecryptionVersion, exportable (never key material)',
  request: { params: nameParams },
  responses: { 200: ok('Key', keyDetailsResponse) },
  errors: [...COMMON, 'invalid_request', 'not_found'],
});
export const rotateKeyRoute = defineRoute({
  method: 'post',
  path: '/keys/{name}/rotate',
  tags: ['keys'],
  summary: 'Add a new version; it encrypts from now on, older allowed versions still decrypt',
  request: { params: nameParams },
  responses: { 200: ok('Rotated', keyVersionResponse) },
  errors: [...COMMON, 'invalid_request', 'not_found', 'conflict'],
});
export const patchKeyRoute = defineRoute({
  method: 'patch',
  path: '/keys/{name}',
  tags: ['keys'],
  summary: 'Retire old versions: versions below minDecryptionVersion no longer decrypt',
  request: { params: nameParams, body: json(patchKeyRequest) },
  responses: { 200: ok('Updated', keyInfoResponse) },
  errors: [...JSON_BODY_ERRORS, ...COMMON, 'not_found'],
});
export const deleteKeyRoute = defineRoute({
  method: 'delete',
  path: '/keys/{name}',
  tags: ['keys'],
  summary: 'Destroy a key and all its versions (admin scope; the body must repeat the name as confirm)',
  request: { params: nameParams, body: json(deleteKeyRequest) },
  responses: { 204: { description: 'Deleted' } },
  errors: [...JSON_BODY_ERRORS, ...COMMON, 'forbidden', 'not_found', 'confirmation_required'],
});
export const encryptRoute = defineRoute({
  method: 'post',
  path: '/keys/{name}/encrypt',
  tags: ['keys'],
  summary: 'Encrypt to a standard Fernet token under the newest version',
  request: { params: nameParams, body: json(encryptRequest) },
  responses: { 200: ok('Token', tokenResponse) },
  errors: [...JSON_BODY_ERRORS, ...COMMON, 'not_found'],
});
export const decryptRoute = defineRoute({
  method: 'post',
  path: '/keys/{name}/decrypt',
  tags: ['keys'],
  summary: 'Decrypt a Fernet token under any allowed version (as MultiFernet), optionally with a ttl',
  request: { params: nameParams, body: json(decryptRequest) },
  responses: { 200: ok('Plaintext', decryptResponse) },
  errors: [...JSON_BODY_ERRORS, ...COMMON, 'not_found', 'invalid_token', 'token_expired'],
});
export const rewrapRoute = defineRoute({
  method: 'post',
  path: '/keys/{name}/rewrap',
  tags: ['keys'],
  summary: 'Re-encrypt a token under the newest version, keeping its timestamp (MultiFernet.rotate)',
  request: { params: nameParams, body: json(rewrapRequest) },
  responses: { 200: ok('Token', tokenResponse) },
  errors: [...JSON_BODY_ERRORS, ...COMMON, 'not_found', 'invalid_token'],
});
export const exportKeyRoute = defineRoute({
  method: 'get',
  path: '/keys/{name}/export',
  tags: ['keys'],
  summary: 'The Fernet keys of every version (admin scope, exportable keys only), for MultiFernet',
  request: { params: nameParams },
  responses: { 200: ok('Keys', exportResponse) },
  errors: [...COMMON, 'forbidden', 'invalid_request', 'not_found', 'key_not_exportable'],
});

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function keyRoutes(deps: KeyRoutesDeps) {
  const { repositories, keyRing, maxBodyBytes } = deps;
  const gates = [ringGate(keyRing), databaseGate(repositories)];
  const body = jsonBody(maxBodyBytes);
  const admin = requireScope('admin') as MiddlewareHandler;
  const keys = (c: Context): NamedKeys => createNamedKeys({ ring: keyRing as KeyRing, repo: repositories(c).fernetKeys, clock: deps.clock, randomBytes: deps.randomBytes });
  return createRouter()
    .openapi({ ...createKeyRoute, middleware: [...gates, body] }, async (c) => {
      const input = c.req.valid('json');
      const imported = input.fernetKeys?.map((text, i) => {
        const raw = decodeFernetKey(text);
        if (!raw) throw new HashdError('invalid_request', `fernetKeys[${i}] is not a Fernet key (url-safe base64 of 32 bytes)`, { details: { field: `fernetKeys[${i}]` } });
        return raw;
      });
      const made = await keys(c).create(c.get('tenant'), { name: input.name, exportable: input.exportable ?? false, ...(imported && { importKeys: imported }) });
      return c.json(made, 201);
    })
    .openapi({ ...listKeysRoute, middleware: gates }, async (c) => c.json({ keys: await keys(c).list(c.get('tenant')) }, 200))
    .openapi({ ...getKeyRoute, middleware: gates }, async (c) => c.json(await keys(c).get(c.get('tenant'), c.req.valid('param').name), 200))
    .openapi({ ...rotateKeyRoute, middleware: gates }, async (c) => c.json(await keys(c).rotate(c.get('tenant'), c.req.valid('param').name), 200))
    .openapi({ ...patchKeyRoute, middleware: [...gates, body] }, async (c) =>
      c.json(await keys(c).setMinDecryptionVersion(c.get('tenant'), c.req.valid('param').name, c.req.valid('json').minDecryptionVersion), 200),
    )
    .openapi({ ...deleteKeyRoute, middleware: [admin, ...gates, body] }, async (c) => {
      const { name } = c.req.valid('param');
      if (c.req.valid('json').confirm !== name) throw new HashdError('confirmation_required', 'deleting a key destroys every version: send {"confirm": "<the key name>"}');
      await keys(c).remove(c.get('tenant'), name);
      return c.body(null, 204);
    })
    .openapi({ ...encryptRoute, middleware: [...gates, body] }, async (c) => {
      const input = c.req.valid('json');
      let bytes: Uint8Array;
      if ('plaintext' in input) bytes = new TextEncoder().encode(input.plaintext);
      else {
        const decoded = fromBase64(input.plaintextBase64);
        if (!decoded) throw new HashdError('invalid_request', 'plaintextBase64 is not standard base64', { details: { field: 'plaintextBase64' } });
        bytes = decoded;
      }
      return c.json(await keys(c).encrypt(c.get('tenant'), c.req.valid('param').name, bytes), 200);
    })
    .openapi({ ...decryptRoute, middleware: [...gates, body] }, async (c) => {
      const input = c.req.valid('json');
      const bytes = await keys(c).decrypt(c.get('tenant'), c.req.valid('param').name, input.token, input.ttlSeconds);
      let text: string | undefined;
      try {
        text = utf8.decode(bytes);
      } catch {
        text = undefined;
      }
      return c.json(text === undefined ? { plaintextBase64: toBase64(bytes) } : { plaintext: text }, 200);
    })
    .openapi({ ...rewrapRoute, middleware: [...gates, body] }, async (c) =>
      c.json(await keys(c).rewrap(c.get('tenant'), c.req.valid('param').name, c.req.valid('json').token), 200),
    )
    .openapi({ ...exportKeyRoute, middleware: [admin, ...gates] }, async (c) => c.json(await keys(c).export(c.get('tenant'), c.req.valid('param').name), 200));
}
