/**
 * Fernet encryption as a service (Vault transit's model, Python's tokens): per-tenant named keys
 * with versions; the newest version encrypts, every version from `minDecryptionVersion` up
 * decrypts (as MultiFernet, newest first), `rewrap` re-encrypts under the newest keeping the
 * token's timestamp (MultiFernet.rotate). Key material is sealed under the master ring with
 * (tenant, 'fernet_key_versions', `name/version`) as associated data, and leaves this module only
 * through `export`, for keys created exportable.
 */
import type { Clock, RandomBytes } from '../clock';
import type { FernetKeyRepository, SealedValue, StoredNamedKey } from '../db/index';
import { HashdError } from '../errors';
import { encodeFernetKey, fernetDecrypt, fernetEncrypt, fernetRewrap, importFernetKey, type FernetKey } from './fernet';
import type { KeyRing } from './ring';

export const KEY_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
/** Versions a key may have; enough for a rotation a day for years, small enough to try them all. */
export const MAX_KEY_VERSIONS = 1000;

export interface NamedKeyInfo {
  name: string;
  latestVersion: number;
  minDecryptionVersion: number;
  exportable: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NamedKeyDetails extends NamedKeyInfo {
  versions: { version: number; createdAt: string }[];
}

export interface NamedKeysDeps {
  ring: KeyRing;
  repo: FernetKeyRepository;
  clock: Clock;
  randomBytes: RandomBytes;
}

export interface NamedKeys {
  create(tenant: string, input: { name: string; exportable: boolean; importKeys?: readonly Uint8Array[] }): Promise<{ name: string; version: number }>;
  list(tenant: string): Promise<NamedKeyInfo[]>;
  get(tenant: string, name: string): Promise<NamedKeyDetails>;
  rotate(tenant: string, name: string): Promise<{ name: string; version: number }>;
  setMinDecryptionVersion(tenant: string, name: string, min: number): Promise<NamedKeyInfo>;
  remove(tenant: string, name: string): Promise<void>;
  encrypt(tenant: string, name: string, plaintext: Uint8Array): Promise<{ token: string; version: number }>;
  decrypt(tenant: string, name: string, token: string, ttlSeconds?: number): Promise<Uint8Array>;
  rewrap(tenant: string, name: string, token: string): Promise<{ token: string; version: number }>;
  export(tenant: string, name: string): Promise<{ name: string; keys: { version: number; key: string }[] }>;
}

const TABLE = 'fernet_key_versions';

function info(row: { name: string; latestVersion: number; minDecryptionVersion: number; exportable: boolean; createdAt: Date; updatedAt: Date }): NamedKeyInfo {
  return {
    name: row.name,
    latestVersion: row.latestVersion,
    minDecryptionVersion: row.minDecryptionVersion,
    exportable: row.exportable,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function notFound(): HashdError {
  return new HashdError('not_found', 'no key of that name');
}

export function createNamedKeys(deps: NamedKeysDeps): NamedKeys {
  const { ring, repo, clock, randomBytes } = deps;
  const seal = async (tenant: string, name: string, version: number, raw: Uint8Array): Promise<SealedValue> => {
    const sealed = await ring.seal(raw, { tenant, table: TABLE, rowId: `${name}/${version}` });
    return { ringKeyId: sealed.keyId, sealed: sealed.blob };
  };
  const openRaw = (tenant: string, name: string, v: { version: number; ringKeyId: string; sealed: string }): Promise<Uint8Array> =>
    ring.open({ keyId: v.ringKeyId, blob: v.sealed }, { tenant, table: TABLE, rowId: `${name}/${v.version}` });
  const load = async (tenant: string, name: string): Promise<StoredNamedKey> => {
    const key = await repo.get(tenant, name);
    if (!key) throw notFound();
    return key;
  };
  /** The versions that decrypt, newest first, opened; and the newest one. */
  const openKeys = async (tenant: string, key: StoredNamedKey): Promise<{ allowed: FernetKey[]; latest: FernetKey }> => {
    const usable = key.versions.filter((v) => v.version >= key.minDecryptionVersion).sort((a, b) => b.version - a.version);
    const allowed = await Promise.all(usable.map(async (v) => importFernetKey(await openRaw(tenant, key.name, v))));
    const latestVersion = key.versions.find((v) => v.version === key.latestVersion);
    if (!latestVersion) throw new Error('a named key lost its latest version');
    const latest = usable[0]?.version === key.latestVersion ? (allowed[0] as FernetKey) : await importFernetKey(await openRaw(tenant, key.name, latestVersion));
    return { allowed, latest };
  };
  const nowSeconds = (): number => Math.floor(clock().getTime() / 1000);

  return {
    async create(tenant, input) {
      const raws = input.importKeys && input.importKeys.length > 0 ? input.importKeys : [randomBytes(32)];
      if (raws.length > MAX_KEY_VERSIONS) throw new HashdError('invalid_request', `at most ${MAX_KEY_VERSIONS} keys can be imported`);
      const versions = await Promise.all(raws.map((raw, i) => seal(tenant, input.name, i + 1, raw)));
      if (!(await repo.create(tenant, input.name, input.exportable, versions))) throw new HashdError('conflict', 'a key of that name exists');
      return { name: input.name, version: versions.length };
    },
    async list(tenant) {
      return (await repo.list(tenant)).map(info);
    },
    async get(tenant, name) {
      const key = await load(tenant, name);
      return { ...info(key), versions: key.versions.map((v) => ({ version: v.version, createdAt: v.createdAt.toISOString() })) };
    },
    async rotate(tenant, name) {
      // Compare-and-swap on the latest version; a concurrent rotation makes us retry with its result.
      for (let attempt = 0; attempt < 5; attempt++) {
        const key = await load(tenant, name);
        if (key.latestVersion >= MAX_KEY_VERSIONS) throw new HashdError('conflict', `a key has at most ${MAX_KEY_VERSIONS} versions`);
        const version = key.latestVersion + 1;
        if (await repo.addVersion(tenant, name, key.latestVersion, await seal(tenant, name, version, randomBytes(32)))) return { name, version };
      }
      throw new HashdError('conflict', 'the key is being rotated concurrently; retry');
    },
    async setMinDecryptionVersion(tenant, name, min) {
      const row = await repo.setMinDecryptionVersion(tenant, name, min);
      if (row) return info(row);
      await load(tenant, name);
      throw new HashdError('invalid_request', 'minDecryptionVersion cannot be above the latest version', { details: { field: 'minDecryptionVersion' } });
    },
    async remove(tenant, name) {
      if (!(await repo.remove(tenant, name))) throw notFound();
    },
    async encrypt(tenant, name, plaintext) {
      const key = await load(tenant, name);
      const { latest } = await openKeys(tenant, key);
      return { token: await fernetEncrypt(latest, plaintext, { timestamp: nowSeconds(), iv: randomBytes(16) }), version: key.latestVersion };
    },
    async decrypt(tenant, name, token, ttlSeconds) {
      const { allowed } = await openKeys(tenant, await load(tenant, name));
      const result = await fernetDecrypt(allowed, token, { now: nowSeconds(), ttlSeconds });
      if (result.ok) return result.plaintext;
      if (result.reason === 'expired') throw new HashdError('token_expired', 'the token is older than ttlSeconds');
      throw new HashdError('invalid_token', 'the token is not valid for this key');
    },
    async rewrap(tenant, name, token) {
      const key = await load(tenant, name);
      const { allowed, latest } = await openKeys(tenant, key);
      const result = await fernetRewrap(allowed, latest, token, { iv: randomBytes(16) });
      if (!result.ok) throw new HashdError('invalid_token', 'the token is not valid for this key');
      return { token: result.token, version: key.latestVersion };
    },
    async export(tenant, name) {
      const key = await load(tenant, name);
      if (!key.exportable) throw new HashdError('key_not_exportable', 'this key was not created exportable');
      const keys = await Promise.all(key.versions.map(async (v) => ({ version: v.version, key: encodeFernetKey(await openRaw(tenant, name, v)) })));
      return { name, keys };
    },
  };
}
