/**
 * Sessions after Lucia's design: the token is `<sessionId>.<secret>`, both parts base64url from
 * the CSPRNG (128 and 192 bits), and only SHA-256(secret) is stored. A verify looks the row up by
 * id, compares digests in constant time and decides expiry from the injected clock alone. A
 * valid verify of a session with an idle timeout slides it, written at most once a minute, so a
 * busy session's verifies stay reads.
 */
import type { Clock, RandomBytes } from '../clock';
import type { SessionRepository, SessionRow } from '../db/index';
import { equalStrings } from '../hashing/compare';
import { randomToken, sha256Hex } from './random';
import { IDLE_SLIDE_INTERVAL_MS } from './settings';

export const SESSION_ID_BYTES = 16;
export const SESSION_SECRET_BYTES = 24;
/** The exact shape of a token: 22 + "." + 32 base64url characters (tested, then sliced: no capture array). */
const TOKEN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{32}$/;
const ID_CHARS = 22;

export interface SessionDeps {
  sessions: SessionRepository;
  clock: Clock;
  random: RandomBytes;
}

export interface CreateSessionInput {
  userId: string;
  ttlSeconds: number;
  /** null: no idle timeout. */
  idleSeconds: number | null;
  metadata: Record<string, unknown> | null;
}

export interface CreatedSession {
  token: string;
  sessionId: string;
  expiresAt: Date;
  idleExpiresAt: Date | null;
}

export type SessionCheck =
  | { valid: false }
  | { valid: true; userId: string; sessionId: string; expiresAt: Date; idleExpiresAt: Date | null; metadata: Record<string, unknown> | null };

export async function createSession(deps: SessionDeps, tenant: string, input: CreateSessionInput): Promise<CreatedSession> {
  const sessionId = randomToken(deps.random, SESSION_ID_BYTES);
  const secret = randomToken(deps.random, SESSION_SECRET_BYTES);
  const expiresAt = new Date(deps.clock().getTime() + input.ttlSeconds * 1000);
  const row = await deps.sessions.create(tenant, {
    id: sessionId,
    userId: input.userId,
    secretHash: sha256Hex(secret),
    expiresAt,
    idleSeconds: input.idleSeconds,
    metadata: input.metadata,
  });
  return { token: `${sessionId}.${secret}`, sessionId, expiresAt: row.expiresAt, idleExpiresAt: row.idleExpiresAt };
}

function expired(row: SessionRow, now: Date): boolean {
  if (row.expiresAt.getTime() <= now.getTime()) return true;
  return row.idleExpiresAt !== null && row.idleExpiresAt.getTime() <= now.getTime();
}

export async function verifySession(deps: SessionDeps, tenant: string, token: string): Promise<SessionCheck> {
  if (!TOKEN.test(token)) return { valid: false };
  const sessionId = token.slice(0, ID_CHARS);
  const secret = token.slice(ID_CHARS + 1);
  const row = await deps.sessions.get(tenant, sessionId);
  if (!row) return { valid: false };
  // The stored digest is the lower-case hex that create wrote; compared as text in constant time.
  if (!equalStrings(sha256Hex(secret), row.secretHash)) return { valid: false };
  const now = deps.clock();
  if (expired(row, now)) return { valid: false };
  let idleExpiresAt = row.idleExpiresAt;
  if (row.idleSeconds !== null && now.getTime() - row.lastUsedAt.getTime() >= IDLE_SLIDE_INTERVAL_MS) {
    // Conditional on the last recorded use, so concurrent verifies write once between them; a
    // revoke in between leaves nothing to update.
    idleExpiresAt = (await deps.sessions.touch(tenant, sessionId, now, IDLE_SLIDE_INTERVAL_MS)) ?? idleExpiresAt;
  }
  return { valid: true, userId: row.userId, sessionId, expiresAt: row.expiresAt, idleExpiresAt, metadata: row.metadata };
}
