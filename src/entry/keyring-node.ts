/**
 * The master key ring for the Node entry and the CLI. HASHD_KEYS configured: that ring. Not
 * configured in dev mode (no API keys): a ring generated once and kept in `<data dir>/keyring`
 * (mode 0600), with a warning, so TOTP and Fernet keys work out of the box and survive restarts.
 * Not configured in production (API keys configured): no ring; the features that need one answer
 * 503 `key_unavailable` naming HASHD_KEYS, and the start log says so.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceConfig } from '../config';
import { createKeyRing, newRingEntry, parseRingKeys, type KeyRing } from '../keys/ring';
import type { Logger } from '../logger';

export interface NodeKeyRing {
  /** Undefined in production without HASHD_KEYS. */
  ring: KeyRing | undefined;
  source: 'HASHD_KEYS' | 'dev-file' | 'dev-memory' | 'none';
}

const csprng = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export const DEV_RING_FILE = 'keyring';

export async function loadNodeKeyRing(config: ServiceConfig, logger: Logger): Promise<NodeKeyRing> {
  if (config.ringKeys !== undefined) return { ring: await createKeyRing(config.ringKeys, csprng), source: 'HASHD_KEYS' };
  if (!config.devMode) {
    logger.error(
      {},
      'HASHD_KEYS is not configured: TOTP and the Fernet key endpoints are refused (503 key_unavailable). Generate a ring key with "npx hashd keys new-ring-key" and set HASHD_KEYS',
    );
    return { ring: undefined, source: 'none' };
  }
  if (config.dataDir.startsWith('memory://')) {
    logger.warn({}, 'dev mode: no HASHD_KEYS configured; using a throw-away key ring in memory');
    return { ring: await createKeyRing(parseRingKeys(newRingEntry('dev', csprng), []), csprng), source: 'dev-memory' };
  }
  const file = join(config.dataDir, DEV_RING_FILE);
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, `${newRingEntry('dev', csprng)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  const issues: string[] = [];
  const entries = parseRingKeys(readFileSync(file, 'utf8').trim(), issues, file);
  if (issues.length > 0) throw new Error(`the dev key ring ${file} is unreadable: ${issues.join('; ')}`);
  logger.warn({ file }, 'dev mode: no HASHD_KEYS configured; using the key ring generated in the data directory (set HASHD_KEYS in production)');
  return { ring: await createKeyRing(entries, csprng), source: 'dev-file' };
}
