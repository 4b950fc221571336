/**
 * Sessions stored per tenant: create, verify, revoke one or all of a user's, list a user's, and
 * the admin's counts. Handlers are thin: bounds are checked here against the configured
 * settings, the session logic is in sessions/sessions.ts.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { isoTime, type Clock, type RandomBytes } from '../clock';
import type { Repositories, SessionRow } from '../db/index';
import { HashdError } from '../errors';
import { createSession, verifySession, type CreatedSession, type SessionDeps } from '../sessions/sessions';
import { SESSION_METADATA_MAX_BYTES, SESSION_MIN_IDLE_SECONDS, SESSION_MIN_TTL_SECONDS, type SessionSettings } from '../sessions/settings';
import { jsonBody } from './body';
import { createRouter, defineRoute } from './openapi';
import { JSON_BODY_ERRORS } from './passwords';
import { userIdField } from './schemas';
import { databaseGate } from './users';

export interface SessionRoutesDeps {
  repositories: (c: Context) => Repositories;
  clock: Clock;
  random: RandomBytes;
  settings: SessionSettings;
  maxBodyBytes: number;
}

const metadata = z
  .record(z.string(), z.unknown())
  .refine((value) => new TextEncoder().encode(JSON.stringify(value)).byteLength <= SESSION_METADATA_MAX_BYTES, {
    message: `at most ${SESSION_METADATA_MAX_BYTES} bytes of JSON`,
  })
  .meta({ description: `A small JSON object kept with the session (at most ${SESSION_METADATA_MAX_BYTES} bytes as JSON), returned by verify and list.` });

/** The options of a new session, shared by POST /v1/sessions and POST /v1/login. */
export const sessionOptions = {
  ttlSeconds: z
    .number()
    .int()
    .min(SESSION_MIN_TTL_SECONDS)
    .optional()
    .meta({ description: 'Absolute lifetime in seconds (default and maximum from the configuration).' }),
  idleSeconds: z
    .number()
    .int()
    .min(0)
    .optional()
    .meta({ description: `Idle timeout in seconds (0: none; else at least ${SESSION_MIN_IDLE_SECONDS}); default from the configuration.` }),
  metadata: metadata.optional(),
};

export const createSessionRequest = z.strictObject({ userId: userIdField, ...sessionOptions }).meta({ id: 'CreateSessionRequest' });

const stampField = z.string().meta({ description: 'ISO 8601 time (UTC).' });

export const createdSessionSchema = z
  .object({
    token: z.string().meta({ description: '`<sessionId>.<secret>`: give it to the client (cookie); hashd keeps only SHA-256(secret).' }),
    sessionId: z.string(),
    expiresAt: stampField,
    idleExpiresAt: stampField.optional(),
  })
  .meta({ id: 'CreatedSession' });

export const verifySessionRequest = z.strictObject({ token: z.string().max(512) }).meta({ id: 'VerifySessionRequest' });

export const verifySessionResponse = z
  .object({
    valid: z.boolean(),
    userId: z.string().optional(),
    sessionId: z.string().optional(),
    expiresAt: stampField.optional(),
    idleExpiresAt: stampField.optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'VerifySessionResponse' });

export const sessionListResponse = z
  .object({
    sessions: z.array(
      z.object({
        sessionId: z.string(),
        createdAt: stampField,
        lastUsedAt: stampField,
        expiresAt: stampField,
        idleExpiresAt: stampField.optional(),
        metadata: z.record(z.string(), z.unknown()).optional(),
      }),
    ),
  })
  .meta({ id: 'SessionList' });

export const sessionStatsResponse = z
  .object({ activeSessions: z.number().int(), activeCodes: z.number().int() })
  .meta({ id: 'SessionStats' });

const json = <S>(schema: S, description: string) => ({ description, content: { 'application/json': { schema } } });
const jsonRequest = <S>(schema: S) => ({ required: true, content: { 'application/json': { schema } } });
const sessionIdParams = z.object({ sessionId: z.string().min(1).max(256) });
const userParams = z.object({ userId: userIdField });

export const createSessionRoute = defineRoute({
  method: 'post',
  path: '/sessions',
  tags: ['sessions'],
  summary: 'Create a session for a user',
  request: { body: jsonRequest(createSessionRequest) },
  responses: { 201: json(createdSessionSchema, 'The new session; the token is shown only here') },
  errors: [...JSON_BODY_ERRORS, 'database_unavailable'],
});

export const verifySessionRoute = defineRoute({
  method: 'post',
  path: '/sessions/verify',
  tags: ['sessions'],
  summary: 'Check a session token (absolute and idle expiry from the server clock)',
  description: 'A malformed, unknown, revoked or expired token is `valid: false`. A valid verify slides the idle expiry (written at most once a minute).',
  request: { body: jsonRequest(verifySessionRequest) },
  responses: { 200: json(verifySessionResponse, 'Result') },
  errors: [...JSON_BODY_ERRORS, 'database_unavailable'],
});

export const revokeSessionRoute = defineRoute({
  method: 'delete',
  path: '/sessions/{sessionId}',
  tags: ['sessions'],
  summary: 'Revoke a session (idempotent; an unknown id answers the same)',
  request: { params: sessionIdParams },
  responses: { 204: { description: 'Revoked (or never existed)' } },
  errors: ['unauthorized', 'invalid_request', 'database_unavailable'],
});

export const revokeUserSessionsRoute = defineRoute({
  method: 'delete',
  path: '/users/{userId}/sessions',
  tags: ['sessions'],
  summary: "Revoke every session of a user",
  request: { params: userParams },
  responses: { 204: { description: 'Revoked' } },
  errors: ['unauthorized', 'invalid_request', 'database_unavailable'],
});

export const listUserSessionsRoute = defineRoute({
  method: 'get',
  path: '/users/{userId}/sessions',
  tags: ['sessions'],
  summary: "A user's live sessions (never a token, secret or digest)",
  request: { params: userParams },
  responses: { 200: json(sessionListResponse, 'Sessions, oldest first') },
  errors: ['unauthorized', 'invalid_request', 'database_unavailable'],
});

export const sessionStatsRoute = defineRoute({
  method: 'get',
  path: '/admin/sessions/stats',
  tags: ['admin'],
  summary: "Live sessions and usable one-time codes of the caller's tenant (counts only)",
  responses: { 200: json(sessionStatsResponse, 'Counts') },
  errors: ['unauthorized', 'forbidden', 'database_unavailable'],
});

export interface SessionRequestOptions {
  ttlSeconds?: number | undefined;
  idleSeconds?: number | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/** The request's ttl and idle options checked against the configuration (400 outside). */
export function resolveSessionOptions(settings: SessionSettings, body: SessionRequestOptions): { ttlSeconds: number; idleSeconds: number | null; metadata: Record<string, unknown> | null } {
  const ttlSeconds = body.ttlSeconds ?? settings.defaultTtlSeconds;
  if (ttlSeconds > settings.maxTtlSeconds) {
    throw new HashdError('invalid_request', `ttlSeconds: at most ${settings.maxTtlSeconds}`, { details: { issues: [{ path: 'ttlSeconds', message: `at most ${settings.maxTtlSeconds}` }] } });
  }
  const idle = body.idleSeconds ?? settings.defaultIdleSeconds;
  if (idle !== 0 && (idle < SESSION_MIN_IDLE_SECONDS || idle > settings.maxTtlSeconds)) {
    const message = `0 or between ${SESSION_MIN_IDLE_SECONDS} and ${settings.maxTtlSeconds}`;
    throw new HashdError('invalid_request', `idleSeconds: ${message}`, { details: { issues: [{ path: 'idleSeconds', message }] } });
  }
  return { ttlSeconds, idleSeconds: idle === 0 ? null : idle, metadata: body.metadata ?? null };
}

/** A created session as the API shows it. */
export function sessionView(session: CreatedSession): z.infer<typeof createdSessionSchema> {
  return {
    token: session.token,
    sessionId: session.sessionId,
    expiresAt: isoTime(session.expiresAt),
    ...(session.idleExpiresAt !== null && { idleExpiresAt: isoTime(session.idleExpiresAt) }),
  };
}

function listed(row: SessionRow) {
  return {
    sessionId: row.id,
    createdAt: isoTime(row.createdAt),
    lastUsedAt: isoTime(row.lastUsedAt),
    expiresAt: isoTime(row.expiresAt),
    ...(row.idleExpiresAt !== null && { idleExpiresAt: isoTime(row.idleExpiresAt) }),
    ...(row.metadata !== null && { metadata: row.metadata }),
  };
}

export function sessionRoutes(deps: SessionRoutesDeps) {
  const { repositories, clock, random, settings, maxBodyBytes } = deps;
  const database = databaseGate(repositories);
  const sessionDeps = (c: Context): SessionDeps => ({ sessions: repositories(c).sessions, clock, random });
  return createRouter()
    .openapi({ ...createSessionRoute, middleware: [database, jsonBody(maxBodyBytes)] }, async (c) => {
      const body = c.req.valid('json');
      const options = resolveSessionOptions(settings, body);
      const created = await createSession(sessionDeps(c), c.get('tenant'), { userId: body.userId, ...options });
      return c.json(sessionView(created), 201);
    })
    .openapi({ ...verifySessionRoute, middleware: [database, jsonBody(maxBodyBytes)] }, async (c) => {
      const check = await verifySession(sessionDeps(c), c.get('tenant'), c.req.valid('json').token);
      if (!check.valid) return c.json({ valid: false }, 200);
      return c.json(
        {
          valid: true,
          userId: check.userId,
          sessionId: check.sessionId,
          expiresAt: isoTime(check.expiresAt),
          ...(check.idleExpiresAt !== null && { idleExpiresAt: isoTime(check.idleExpiresAt) }),
          ...(check.metadata !== null && { metadata: check.metadata }),
        },
        200,
      );
    })
    .openapi({ ...revokeSessionRoute, middleware: [database] }, async (c) => {
      await repositories(c).sessions.revoke(c.get('tenant'), c.req.valid('param').sessionId);
      return c.body(null, 204);
    })
    .openapi({ ...revokeUserSessionsRoute, middleware: [database] }, async (c) => {
      await repositories(c).sessions.revokeUser(c.get('tenant'), c.req.valid('param').userId);
      return c.body(null, 204);
    })
    .openapi({ ...listUserSessionsRoute, middleware: [database] }, async (c) => {
      const rows = await repositories(c).sessions.listUser(c.get('tenant'), c.req.valid('param').userId, clock());
      return c.json({ sessions: rows.map(listed) }, 200);
    })
    .openapi({ ...sessionStatsRoute, middleware: [database] }, async (c) => {
      const repos = repositories(c);
      const now = clock();
      const tenant = c.get('tenant');
      const [activeSessions, activeCodes] = await Promise.all([repos.sessions.countActive(tenant, now), repos.otp.countActive(tenant, now)]);
      return c.json({ activeSessions, activeCodes }, 200);
    });
}
