/**
 * TOTP for stored users: enrol (secret, otpauth URI, QR SVG), confirm (activates it and returns
 * recovery codes once), verify (server time, ±1 step, replay refused), recover with a single-use
 * recovery code, issue new recovery codes, remove. Codes, seeds and recovery codes are never
 * logged; a wrong or malformed code is `valid: false`, never an error. Guessing is throttled by
 * the throttling feature, which wraps confirm (purpose `enrolment`), verify and recover.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import type { Clock, RandomBytes } from '../clock';
import type { Repositories } from '../db/index';
import type { ErrorCode } from '../errors';
import type { KeyRing } from '../keys/ring';
import { createTotpService, type TotpService } from '../totp/service';
import { TOTP_ALGORITHMS } from '../totp/totp';
import type { TotpSettings } from '../totp/settings';
import { jsonBody } from './body';
import { ringGate } from './keys';
import { createRouter, defineRoute } from './openapi';
import { JSON_BODY_ERRORS } from './passwords';
import { clientIpField, userIdField } from './schemas';
import { attemptAddress, databaseGate } from './users';
import type { ClientAddress } from '../throttle/address';
import type { Throttle } from '../throttle/throttle';

export interface TotpRoutesDeps {
  repositories: (c: Context) => Repositories;
  keyRing: KeyRing | undefined;
  clock: Clock;
  randomBytes: RandomBytes;
  maxBodyBytes: number;
  /** Limits wrong codes per account (purposes `totp` and `recovery`) and client address. */
  throttle: Throttle;
  clientAddress?: ClientAddress | undefined;
  /** Pending enrolment lifetime (default DEFAULT_TOTP_SETTINGS). */
  settings?: TotpSettings | undefined;
}

/** Issuer and account name: shown by the authenticator app; a colon would break the URI's label. */
const labelPart = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^:\p{Cc}]+$/u, 'must not contain a colon or control characters');
const code = z.string().max(32).meta({ description: 'The code the user typed, as a string. Anything but the right number of digits is `valid: false`.' });
const recoveryCode = z.string().max(64).meta({ description: 'A recovery code, `xxxx-xxxx-xxxx` (case, dashes and spaces ignored).' });

const enrollRequest = z
  .strictObject({
    userId: userIdField,
    issuer: labelPart.meta({ description: 'Your service name, shown in the app.' }),
    accountName: labelPart.meta({ description: "The user's name or e-mail, shown in the app." }),
    digits: z.union([z.literal(6), z.literal(8)]).optional().meta({ description: 'Default 6.' }),
    period: z.union([z.literal(30), z.literal(60)]).optional().meta({ description: 'Seconds per code. Default 30.' }),
    algorithm: z
      .enum(TOTP_ALGORITHMS)
      .optional()
      .meta({ description: 'HMAC of the codes. Default SHA1, the one every authenticator app supports; SHA256/SHA512 get a 32/64-byte secret and need an app that honours the URI\'s algorithm.' }),
    replace: z.boolean().optional().meta({ description: 'Required to enrol again while a confirmed TOTP exists; the old one stays active until the new one is confirmed.' }),
  })
  .meta({ id: 'TotpEnrollRequest' });
const enrollResponse = z
  .object({
    secret: z.string().meta({ description: 'Base32 secret, for typing into an app by hand.' }),
    otpauthUri: z.string(),
    qrSvg: z.string().meta({ description: 'An SVG QR code of otpauthUri.' }),
  })
  .meta({ id: 'TotpEnrollResponse' });
// Not strict: extra fields (a client's idea of the time, say) are dropped and never used.
const codeRequest = z.object({ userId: userIdField, code, clientIp: clientIpField.optional() }).meta({ id: 'TotpCodeRequest' });
const confirmResponse = z
  .object({ confirmed: z.boolean(), recoveryCodes: z.array(z.string()).optional().meta({ description: 'Shown once: store nothing but give them to the user.' }) })
  .meta({ id: 'TotpConfirmResponse' });
const verifyResponse = z.object({ valid: z.boolean() }).meta({ id: 'TotpVerifyResponse' });
const recoverRequest = z.object({ userId: userIdField, recoveryCode, clientIp: clientIpField.optional() }).meta({ id: 'TotpRecoverRequest' });
const recoverResponse = z.object({ valid: z.boolean(), remaining: z.number().int() }).meta({ id: 'TotpRecoverResponse' });
const userRequest = z.strictObject({ userId: userIdField }).meta({ id: 'TotpUserRequest' });
const codesResponse = z.object({ recoveryCodes: z.array(z.string()) }).meta({ id: 'TotpRecoveryCodes' });

const COMMON: readonly ErrorCode[] = [...JSON_BODY_ERRORS, 'key_unavailable', 'database_unavailable'];
const json = <T extends z.ZodType>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const ok = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

export const enrollRoute = defineRoute({
  method: 'post',
  path: '/totp/enroll',
  tags: ['totp'],
  summary: 'Start a TOTP enrolment: a fresh secret (160 bits for SHA1), its otpauth:// URI and a QR code (inactive until confirmed)',
  request: { body: json(enrollRequest) },
  responses: { 200: ok('Enrolment', enrollResponse) },
  errors: [...COMMON, 'conflict'],
});
export const confirmRoute = defineRoute({
  method: 'post',
  path: '/totp/confirm',
  tags: ['totp'],
  summary: 'Activate the pending TOTP with a first code; returns 10 single-use recovery codes once',
  description:
    'A pending enrolment can be confirmed for HASHD_TOTP_PENDING_SECONDS (default 600) after it was made; later: 410 `enrolment_expired` (enrol again). ' +
    'Failed confirmations are limited per account and per client address (`clientIp`, else the TCP peer), like verify: past the limits the answer is 429 `rate_limited` with `Retry-After`, whether or not the code is right.',
  request: { body: json(codeRequest) },
  responses: { 200: ok('Result', confirmResponse) },
  errors: [...COMMON, 'not_found', 'enrolment_expired', 'rate_limited', 'throttle_unavailable'],
});
export const verifyTotpRoute = defineRoute({
  method: 'post',
  path: '/totp/verify',
  tags: ['totp'],
  summary: "Check a code against the server's clock (±1 step); a code's step is accepted once",
  request: { body: json(codeRequest) },
  responses: { 200: ok('Result', verifyResponse) },
  errors: [...COMMON, 'rate_limited', 'throttle_unavailable'],
});
export const recoverRoute = defineRoute({
  method: 'post',
  path: '/totp/recover',
  tags: ['totp'],
  summary: 'Spend a recovery code (each works once)',
  request: { body: json(recoverRequest) },
  responses: { 200: ok('Result', recoverResponse) },
  errors: [...COMMON, 'rate_limited', 'throttle_unavailable'],
});
export const recoveryCodesRoute = defineRoute({
  method: 'post',
  path: '/totp/recovery-codes',
  tags: ['totp'],
  summary: 'Issue a new set of 10 recovery codes; the old set stops working',
  request: { body: json(userRequest) },
  responses: { 200: ok('Codes', codesResponse) },
  errors: [...COMMON, 'not_found'],
});
export const deleteTotpRoute = defineRoute({
  method: 'delete',
  path: '/totp/{userId}',
  tags: ['totp'],
  summary: "Remove a user's TOTP and recovery codes",
  request: { params: z.object({ userId: userIdField }) },
  responses: { 204: { description: 'Removed (also when there was none)' } },
  errors: ['unauthorized', 'invalid_request', 'database_unavailable'],
});

export function totpRoutes(deps: TotpRoutesDeps) {
  const { repositories, keyRing, maxBodyBytes } = deps;
  const gates = [ringGate(keyRing), databaseGate(repositories), jsonBody(maxBodyBytes)];
  const totp = (c: Context): TotpService => createTotpService({ ring: keyRing as KeyRing, repo: repositories(c).totp, clock: deps.clock, randomBytes: deps.randomBytes, ...(deps.settings !== undefined && { settings: deps.settings }) });
  return createRouter()
    .openapi({ ...enrollRoute, middleware: gates }, async (c) => {
      const body = c.req.valid('json');
      const input = { userId: body.userId, issuer: body.issuer, accountName: body.accountName, digits: body.digits ?? 6, period: body.period ?? 30, algorithm: body.algorithm ?? 'SHA1', replace: body.replace ?? false };
      return c.json(await totp(c).enroll(c.get('tenant'), input), 200);
    })
    .openapi({ ...confirmRoute, middleware: gates }, async (c) => {
      const { userId, code, clientIp } = c.req.valid('json');
      const tenant = c.get('tenant');
      // Enrolment attempts count on their own (a missing or expired enrolment is not an attempt).
      const subject = { tenant, userId, purpose: 'enrolment', address: attemptAddress(c, clientIp, deps.clientAddress) };
      return c.json(await deps.throttle.guard(subject, () => totp(c).confirm(tenant, userId, code), (r) => r.confirmed), 200);
    })
    .openapi({ ...verifyTotpRoute, middleware: gates }, async (c) => {
      const { userId, code, clientIp } = c.req.valid('json');
      const tenant = c.get('tenant');
      // Reserved before the code is checked (a replayed code counts as a wrong one).
      const subject = { tenant, userId, purpose: 'totp', address: attemptAddress(c, clientIp, deps.clientAddress) };
      return c.json(await deps.throttle.guard(subject, () => totp(c).verify(tenant, userId, code), (r) => r.valid), 200);
    })
    .openapi({ ...recoverRoute, middleware: gates }, async (c) => {
      const { userId, recoveryCode: presented, clientIp } = c.req.valid('json');
      const tenant = c.get('tenant');
      const subject = { tenant, userId, purpose: 'recovery', address: attemptAddress(c, clientIp, deps.clientAddress) };
      return c.json(await deps.throttle.guard(subject, () => totp(c).recover(tenant, userId, presented), (r) => r.valid), 200);
    })
    .openapi({ ...recoveryCodesRoute, middleware: gates }, async (c) => c.json(await totp(c).newRecoveryCodes(c.get('tenant'), c.req.valid('json').userId), 200))
    .openapi({ ...deleteTotpRoute, middleware: [databaseGate(repositories)] }, async (c) => {
      await repositories(c).totp.remove(c.get('tenant'), c.req.valid('param').userId);
      return c.body(null, 204);
    });
}
