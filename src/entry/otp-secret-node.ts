/**
 * The Node side of sessions/otp-secret.ts: resolves the one-time codes' MAC keys (HASHD_KEYS's
 * ring, else HASHD_OTP_SECRET, else the dev file) and, in dev mode only, reads or creates `otp-secret` in the data directory (32
 * random bytes, mode 0600), logging that it did so and never the value.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceConfig } from '../config';
import type { Logger } from '../logger';
import type { KeyRing } from '../keys/ring';
import { otpSecret, ringOtpKeys, singleOtpKey, type OtpKeys } from '../sessions/otp-secret';

const FILE = 'otp-secret';

function loadGenerated(dataDir: string, logger: Logger): Uint8Array {
  const path = join(dataDir, FILE);
  try {
    const bytes = readFileSync(path);
    if (bytes.byteLength >= 32) return new Uint8Array(bytes);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32);
  try {
    writeFileSync(path, secret, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process of the same data directory made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return new Uint8Array(readFileSync(path));
    throw err;
  }
  logger.warn({ file: path }, 'dev mode: generated a one-time code secret for this data directory (set HASHD_OTP_SECRET in production)');
  return new Uint8Array(secret);
}

/**
 * The MAC keys of one-time codes, or undefined (logged) when codes are off. `ring` is used only
 * when HASHD_KEYS configured it (not the generated dev ring, whose loss would be silent); then
 * HASHD_OTP_SECRET, if also set, only verifies the codes it MACed before.
 */
export async function resolveOtpKeys(config: ServiceConfig, ring: KeyRing | undefined, logger: Logger): Promise<OtpKeys | undefined> {
  if (config.ringKeys !== undefined && ring !== undefined) {
    const keys = await ringOtpKeys(ring, config.otpSecret);
    logger.info({ ringKeyId: ring.primaryId, legacyOtpSecret: config.otpSecret !== undefined }, 'one-time codes: MAC key derived from HASHD_KEYS');
    return keys;
  }
  const secret = resolveOtpSecret(config, logger);
  if (secret === undefined) return undefined;
  return singleOtpKey(secret, config.otpSecret !== undefined ? 'HASHD_OTP_SECRET' : 'dev-generated');
}

/** The non-ring secret for one-time codes, or undefined (logged) when codes are off. */
export function resolveOtpSecret(config: ServiceConfig, logger: Logger): Uint8Array | undefined {
  const result = otpSecret({ configured: config.otpSecret, devMode: config.devMode, loadGenerated: () => loadGenerated(config.dataDir, logger) });
  if (result.secret === undefined) logger.warn({}, result.reason);
  return result.secret;
}
