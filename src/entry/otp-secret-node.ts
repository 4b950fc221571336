/**
 * The Node side of sessions/otp-secret.ts: resolves the one-time codes' server secret from the
 * configuration and, in dev mode only, reads or creates `otp-secret` in the data directory (32
 * random bytes, mode 0600), logging that it did so and never the value.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceConfig } from '../config';
import type { Logger } from '../logger';
import { otpSecret } from '../sessions/otp-secret';

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

/** The secret for one-time codes, or undefined (logged) when codes are off. */
export function resolveOtpSecret(config: ServiceConfig, logger: Logger): Uint8Array | undefined {
  const result = otpSecret({ configured: config.otpSecret, devMode: config.devMode, loadGenerated: () => loadGenerated(config.dataDir, logger) });
  if (result.secret === undefined) logger.warn({}, result.reason);
  return result.secret;
}
