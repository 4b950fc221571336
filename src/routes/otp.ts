/**
 * Stored one-time codes: issue a code for a user and purpose, verify it. Without a server secret
 * (HASHD_OTP_SECRET, or the dev-mode generated one) both answer 503 `key_unavailable`, before the
 * body is read.
 *
 * Verify is throttled like login (throttle/throttle.ts, purpose `otp`), on top of the per-code cap
 * of attempts: the account is the code's user, looked up by otpId, and the address is `clientIp`
 * (else the entry's peer address). An otpId that names no code counts against the address only.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { z } from 'zod';
import type { Clock, RandomBytes } from '../clock';
import type { Repositories } from '../db/index';
import { HashdError } from '../errors';
import { isOtpId, issueCode, verifyCode, type OtpDeps } from '../sessions/otp';
import { OTP_SECRET_MISSING, type OtpKeys } from '../sessions/otp-secret';
import { OTP_MIN_TTL_SECONDS, type OtpSettings } from '../sessions/settings';
import { jsonBody } from './body';
import { createRouter, defineRoute } from './openapi';
import { JSON_BODY_ERRORS } from './passwords';
import type { ClientAddress } from '../throttle/address';
import { tagRefusal, type Throttle } from '../throttle/throttle';
import { clientIpField, userIdField } from './schemas';
import { CODE_DIGITS } from './tokens';
import { attemptAddress, databaseGate } from './users';
import { gate } from './gate';

export interface OtpRoutesDeps {
  repositories: (c: Context) => Repositories;
  clock: Clock;
  random: RandomBytes;
  settings: OtpSettings;
  /** undefined: one-time codes are off (503 key_unavailable). */
  secret: Uint8Array | OtpKeys | undefined;
  maxBodyBytes: number;
  /** Limits failed verifies per account (the code's user) and per client address. */
  throttle: Throttle;
  /** The request's client address when the body names no `clientIp` (the entry's). */
  clientAddress?: ClientAddress | undefined;
}

const purpose = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'up to 64 characters of A-Z, a-z, 0-9, _ . - (starting with a letter or digit)')
  .meta({ description: 'What the code is for ("login", "reset", "verify-email"); a code only verifies for its purpose.' });

export const issueCodeRequest = z
  .strictObject({
    userId: userIdField,
    purpose,
    digits: z.number().int().min(CODE_DIGITS.min).max(CODE_DIGITS.max).optional().meta({ description: `${CODE_DIGITS.min}..${CODE_DIGITS.max}, default ${CODE_DIGITS.default}.` }),
    ttlSeconds: z.number().int().min(OTP_MIN_TTL_SECONDS).optional().meta({ description: 'Lifetime in seconds (default 600; maximum from the configuration).' }),
    clientIp: clientIpField.optional().meta({ description: "The end user's IP address (IPv4 dotted quad or IPv6); the issuance limit counts per user and purpose whatever it says." }),
  })
  .meta({ id: 'IssueCodeRequest' });

export const issuedCodeResponse = z
  .object({
    otpId: z.string().meta({ description: 'Send it back with the code; it names this code only.' }),
    code: z.string().meta({ description: 'Deliver it to the user (e-mail, SMS). hashd keeps only HMAC-SHA256(secret, otpId ‖ code).' }),
    expiresAt: z.string(),
  })
  .meta({ id: 'IssuedCode' });

export const verifyCodeRequest = z
  .strictObject({
    otpId: z.string().max(256),
    code: z.string().max(64).meta({ description: 'Exactly the digits issued, as a string.' }),
    userId: userIdField.optional().meta({ description: 'When given, the code must belong to this user.' }),
    purpose: purpose.optional().meta({ description: 'When given, the code must have been issued for this purpose.' }),
    clientIp: clientIpField.optional().meta({ description: "The end user's IP address (IPv4 dotted quad or IPv6), for the per-address attempt limit." }),
  })
  .meta({ id: 'VerifyCodeRequest' });

export const verifyCodeResponse = z
  .object({
    valid: z.boolean(),
    attemptsLeft: z.number().int().meta({ description: 'Wrong answers this code still takes (0: it is dead).' }),
  })
  .meta({ id: 'VerifyCodeResult' });

const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const jsonRequest = <S>(schema: S) => ({ required: true, content: { 'application/json': { schema } } });

export const issueCodeRoute = defineRoute({
  method: 'post',
  path: '/otp',
  tags: ['otp'],
  summary: 'Issue a one-time code for a user and purpose (voids the previous one)',
  request: { body: jsonRequest(issueCodeRequest) },
  responses: { 201: json(issuedCodeResponse, 'The code; shown only here') },
  errors: [...JSON_BODY_ERRORS, 'rate_limited', 'key_unavailable', 'database_unavailable'],
});

export const verifyCodeRoute = defineRoute({
  method: 'post',
  path: '/otp/verify',
  tags: ['otp'],
  summary: 'Check a one-time code: 5 attempts, single use, bound to its otpId, user and purpose',
  description:
    "Failed verifies are also limited per account (the code's user) and per client address (`clientIp`, else the TCP peer), like login: past the limits the answer is 429 `rate_limited` with `Retry-After`, whether or not the code is right.",
  request: { body: jsonRequest(verifyCodeRequest) },
  responses: { 200: json(verifyCodeResponse, 'Result') },
  errors: [...JSON_BODY_ERRORS, 'rate_limited', 'throttle_unavailable', 'key_unavailable', 'database_unavailable'],
});

export function otpRoutes(deps: OtpRoutesDeps) {
  const { repositories, clock, random, settings, secret, maxBodyBytes, throttle } = deps;
  const database = databaseGate(repositories);
  const keyGate: MiddlewareHandler = gate(() => {
    if (secret === undefined) throw new HashdError('key_unavailable', OTP_SECRET_MISSING);
  });
  const otpDeps = (c: Context): OtpDeps => ({ otp: repositories(c).otp, clock, random, secret: secret as Uint8Array | OtpKeys, settings });
  const middleware = [keyGate, database, jsonBody(maxBodyBytes)];
  return createRouter()
    .openapi({ ...issueCodeRoute, middleware }, async (c) => {
      const body = c.req.valid('json');
      const ttlSeconds = body.ttlSeconds ?? settings.defaultTtlSeconds;
      if (ttlSeconds > settings.maxTtlSeconds) {
        const message = `at most ${settings.maxTtlSeconds}`;
        throw new HashdError('invalid_request', `ttlSeconds: ${message}`, { details: { issues: [{ path: 'ttlSeconds', message }] } });
      }
      const issued = await issueCode(otpDeps(c), c.get('tenant'), {
        userId: body.userId,
        purpose: body.purpose,
        digits: body.digits ?? CODE_DIGITS.default,
        ttlSeconds,
      }).catch((err: unknown) => {
        // The only 429 here is the issuance limit (for the metrics' reason label).
        throw err instanceof HashdError ? tagRefusal(err, 'issuance') : err;
      });
      return c.json({ otpId: issued.otpId, code: issued.code, expiresAt: issued.expiresAt.toISOString() }, 201);
    })
    .openapi({ ...verifyCodeRoute, middleware }, async (c) => {
      const body = c.req.valid('json');
      const tenant = c.get('tenant');
      // The account whose code is guessed; an id that names no code has none (the address still counts).
      const owner = isOtpId(body.otpId) ? await repositories(c).otp.ownerOf(tenant, body.otpId) : undefined;
      const subject = { tenant, userId: owner, purpose: 'otp', address: attemptAddress(c, body.clientIp, deps.clientAddress) };
      const result = await throttle.guard(
        subject,
        () =>
          verifyCode(otpDeps(c), tenant, {
            otpId: body.otpId,
            code: body.code,
            ...(body.userId !== undefined && { userId: body.userId }),
            ...(body.purpose !== undefined && { purpose: body.purpose }),
          }),
        (r) => r.valid,
      );
      return c.json(result, 200);
    });
}
