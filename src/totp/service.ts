/**
 * TOTP enrolment, confirmation, verification and recovery for one tenant's users. Seeds are
 * sealed under the master key ring with (tenant, 'totp_credentials', user id) as associated data;
 * the database's conditional updates decide every acceptance (see src/db/totp.ts), so a code is
 * accepted at most once even when the same code arrives 20 times at once.
 */
import type { Clock, RandomBytes } from '../clock';
import type { TotpRepository } from '../db/index';
import type { TotpCredentialRow } from '../db/index';
import { HashdError } from '../errors';
import type { KeyRing } from '../keys/ring';
import { matchingStep, newRecoveryCodes, normalizeRecoveryCode, otpauthUri, qrSvg, recoveryDigest, TOTP_SECRET_BYTES_OF, totpAlgorithm, type TotpAlgorithm, type TotpParams } from './totp';
import { encodeBase32UpperCaseNoPadding } from '@oslojs/encoding';
import { DEFAULT_TOTP_SETTINGS, type TotpSettings } from './settings';

export interface TotpServiceDeps {
  ring: KeyRing;
  repo: TotpRepository;
  clock: Clock;
  randomBytes: RandomBytes;
  /** Default DEFAULT_TOTP_SETTINGS. */
  settings?: TotpSettings;
}

export interface EnrollInput extends TotpParams {
  algorithm: TotpAlgorithm;
  userId: string;
  issuer: string;
  accountName: string;
  replace: boolean;
}

export interface TotpService {
  enroll(tenant: string, input: EnrollInput): Promise<{ secret: string; otpauthUri: string; qrSvg: string }>;
  confirm(tenant: string, userId: string, code: string): Promise<{ confirmed: true; recoveryCodes: string[] } | { confirmed: false }>;
  verify(tenant: string, userId: string, code: string): Promise<{ valid: boolean }>;
  recover(tenant: string, userId: string, recoveryCode: string): Promise<{ valid: boolean; remaining: number }>;
  newRecoveryCodes(tenant: string, userId: string): Promise<{ recoveryCodes: string[] }>;
  remove(tenant: string, userId: string): Promise<void>;
}

const TABLE = 'totp_credentials';

export function createTotpService(deps: TotpServiceDeps): TotpService {
  const { ring, repo, clock, randomBytes } = deps;
  const pendingMs = (deps.settings ?? DEFAULT_TOTP_SETTINGS).pendingSeconds * 1000;
  const where = (tenant: string, userId: string) => ({ tenant, table: TABLE, rowId: userId });
  const issueCodes = async (): Promise<{ codes: string[]; digests: string[] }> => {
    const codes = newRecoveryCodes(randomBytes);
    const digests = await Promise.all(codes.map((c) => recoveryDigest(normalizeRecoveryCode(c) as string)));
    return { codes, digests };
  };
  const active = (row: TotpCredentialRow | undefined): row is TotpCredentialRow & { ringKeyId: string; sealed: string; digits: number; period: number } =>
    row !== undefined && row.confirmedAt !== null && row.sealed !== null && row.ringKeyId !== null && row.digits !== null && row.period !== null;

  return {
    async enroll(tenant, input) {
      const secret = randomBytes(TOTP_SECRET_BYTES_OF[input.algorithm]);
      const sealed = await ring.seal(secret, where(tenant, input.userId));
      const pending = { ringKeyId: sealed.keyId, sealed: sealed.blob, digits: input.digits, period: input.period, algorithm: input.algorithm };
      const stored = await repo.setPending(tenant, input.userId, pending, input.replace);
      if (!stored) throw new HashdError('conflict', 'this user has a confirmed TOTP; send "replace": true to enrol a new one (the current one stays active until the new one is confirmed)');
      const uri = otpauthUri({ issuer: input.issuer, accountName: input.accountName, secret, digits: input.digits, period: input.period, algorithm: input.algorithm });
      return { secret: encodeBase32UpperCaseNoPadding(secret), otpauthUri: uri, qrSvg: qrSvg(uri) };
    },
    async confirm(tenant, userId, code) {
      const row = await repo.get(tenant, userId);
      if (!row || row.pendingSealed === null || row.pendingRingKeyId === null || row.pendingDigits === null || row.pendingPeriod === null) {
        throw new HashdError('not_found', 'no pending TOTP enrolment for this user');
      }
      // Too old to confirm: refused before the code is looked at (no oracle on a stale seed).
      const now = clock().getTime();
      const pendingAfter = new Date(now - pendingMs);
      if (row.pendingCreatedAt === null || row.pendingCreatedAt.getTime() <= pendingAfter.getTime()) {
        throw new HashdError('enrolment_expired', `the pending TOTP enrolment is older than ${pendingMs / 1000} s and can no longer be confirmed; enrol again`);
      }
      const secret = await ring.open({ keyId: row.pendingRingKeyId, blob: row.pendingSealed }, where(tenant, userId));
      const step = matchingStep(secret, code, now, { digits: row.pendingDigits, period: row.pendingPeriod, algorithm: totpAlgorithm(row.pendingAlgorithm) });
      if (step === undefined) return { confirmed: false };
      const { codes, digests } = await issueCodes();
      if (!(await repo.confirm(tenant, userId, row.pendingSealed, step, digests, pendingAfter))) return { confirmed: false };
      return { confirmed: true, recoveryCodes: codes };
    },
    async verify(tenant, userId, code) {
      const row = await repo.get(tenant, userId);
      if (!active(row)) return { valid: false };
      const secret = await ring.open({ keyId: row.ringKeyId, blob: row.sealed }, where(tenant, userId));
      const step = matchingStep(secret, code, clock().getTime(), { digits: row.digits, period: row.period, algorithm: totpAlgorithm(row.algorithm) });
      if (step === undefined) return { valid: false };
      return { valid: await repo.acceptStep(tenant, userId, step) };
    },
    async recover(tenant, userId, recoveryCode) {
      const canonical = normalizeRecoveryCode(recoveryCode);
      // The digest is computed whatever the input, so a malformed code costs what a wrong one does.
      const digest = await recoveryDigest(canonical ?? 'malformed-input');
      if (canonical === undefined) return { valid: false, remaining: (await repo.unusedRecoveryDigests(tenant, userId)).length };
      const { used, remaining } = await repo.useRecoveryCode(tenant, userId, digest);
      return { valid: used, remaining };
    },
    async newRecoveryCodes(tenant, userId) {
      const { codes, digests } = await issueCodes();
      if (!(await repo.replaceRecoveryCodes(tenant, userId, digests))) throw new HashdError('not_found', 'this user has no confirmed TOTP');
      return { recoveryCodes: codes };
    },
    async remove(tenant, userId) {
      await repo.remove(tenant, userId);
    },
  };
}
