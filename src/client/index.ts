/**
 * The typed client for login backends (`import { createHashdClient } from 'hashd/client'`).
 *
 * A small typed wrapper over fetch: request bodies and answers are the routes' own zod types
 * (type-only imports of the route definitions; nothing of the server is loaded at run time), so
 * a field the service does not accept is a compile error. On top of it:
 *   - the API key as `Authorization: Bearer …`, the base URL, a timeout per attempt;
 *   - retries only on 503 with a `Retry-After` the caller accepts (overloaded, database or
 *     throttle store unavailable), never on anything else: a login is not repeated after a
 *     timeout or a reset connection, since the first attempt may have counted;
 *   - a non-2xx answer is thrown as HashdApiError, whose `code` is the union of the service's
 *     error codes (src/errors.ts); transport failures as HashdTransportError.
 * It never logs anything, and no error it throws carries a request body (password, token, code)
 * or the API key: only the status, the service's code and message, and its secret-free details.
 */
import type { z } from 'zod';
import type { ErrorCode } from '../errors';
import type { hashRoute, identifyRoute, needsRehashRoute, verifyRoute } from '../routes/passwords';
import type { deleteUserRoute, loginRoute, setPasswordRoute } from '../routes/users';
import type { createSessionRoute, listUserSessionsRoute, revokeSessionRoute, revokeUserSessionsRoute, verifySessionRoute } from '../routes/sessions';
import type { codeRoute, tokenRoute, tokenVerifyRoute } from '../routes/tokens';
import type { issueCodeRoute, verifyCodeRoute } from '../routes/otp';
import type { confirmRoute, deleteTotpRoute, enrollRoute, recoverRoute, recoveryCodesRoute, verifyTotpRoute } from '../routes/totp';

export type { ErrorCode } from '../errors';

export interface HashdClientOptions {
  /** Where the service listens, e.g. `https://hashd.internal:8443` (no trailing /v1). */
  baseUrl: string;
  /** The caller's API key (`npx hashd keys new TENANT`); sent as a bearer token. */
  apiKey?: string;
  /** Per attempt, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Retries of a 503 that carries Retry-After (default 2; 0 turns them off). */
  retries?: number;
  /** The longest Retry-After, in seconds, worth waiting for (default 5); a longer one is thrown. */
  maxRetryAfterSeconds?: number;
  /** A fetch implementation (default: the global fetch), e.g. one with a custom TLS agent. */
  fetch?: typeof fetch;
}

/** A typed error answer of the service (4xx/5xx with `{ error: { code, message, details } }`). */
export class HashdApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  /** Seconds, from Retry-After (429 and 503). */
  readonly retryAfter: number | undefined;
  readonly requestId: string | undefined;
  constructor(status: number, code: ErrorCode, message: string, extra: { details?: Record<string, unknown>; retryAfter?: number; requestId?: string } = {}) {
    super(`hashd ${status} ${code}: ${message}`);
    this.name = 'HashdApiError';
    this.status = status;
    this.code = code;
    this.details = extra.details;
    this.retryAfter = extra.retryAfter;
    this.requestId = extra.requestId;
  }
}

/** The request did not get a usable answer: timeout, network failure, or a body that is not hashd's. */
export class HashdTransportError extends Error {
  readonly kind: 'timeout' | 'network' | 'bad_response';
  readonly status: number | undefined;
  constructor(kind: HashdTransportError['kind'], message: string, status?: number) {
    super(message);
    this.name = 'HashdTransportError';
    this.kind = kind;
    this.status = status;
  }
}

type JsonSchemaOf<C> = C extends { content: { 'application/json': { schema: infer S extends z.ZodType } } } ? S : never;
/** What a route takes as its JSON body (the zod schema's input). */
export type RequestOf<R> = R extends { request: { body: infer B } } ? z.input<JsonSchemaOf<B>> : never;
/** What a route answers with 2xx: the zod schema's output, or undefined for 204. */
export type ResponseOf<R> = R extends { responses: infer Rs }
  ? { [K in keyof Rs]: K extends 200 | 201 | 202 ? z.output<JsonSchemaOf<Rs[K]>> : K extends 204 ? undefined : never }[keyof Rs]
  : never;

function retryAfterSeconds(value: string | null): number | undefined {
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isErrorBody(body: unknown): body is { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

async function unwrap<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new HashdTransportError('bad_response', `hashd answered ${res.status} with a body that is not JSON`, res.status);
  }
  if (res.status >= 200 && res.status < 300) return body as T;
  if (!isErrorBody(body)) throw new HashdTransportError('bad_response', `hashd answered ${res.status} without an error code`, res.status);
  const retryAfter = retryAfterSeconds(res.headers.get('retry-after'));
  const requestId = res.headers.get('x-request-id') ?? undefined;
  throw new HashdApiError(res.status, body.error.code, body.error.message, {
    ...(body.error.details !== undefined && { details: body.error.details }),
    ...(retryAfter !== undefined && { retryAfter }),
    ...(requestId !== undefined && { requestId }),
  });
}

/** The client's fetch: API key, timeout per attempt, retries of 503 + Retry-After. */
function transport(options: HashdClientOptions): typeof fetch {
  const base = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const maxRetryAfter = options.maxRetryAfterSeconds ?? 5;
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    if (options.apiKey !== undefined) headers.set('authorization', `Bearer ${options.apiKey}`);
    for (let attempt = 0; ; attempt++) {
      const signals = [AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : [])];
      let res: Response;
      try {
        res = await base(input, { ...init, headers, signal: AbortSignal.any(signals) });
      } catch (err) {
        // Never the request (its body holds the secret): only what happened.
        if ((err as Error)?.name === 'TimeoutError') throw new HashdTransportError('timeout', `hashd did not answer within ${timeoutMs} ms`);
        if ((err as Error)?.name === 'AbortError') throw new HashdTransportError('network', 'the request was aborted by the caller');
        const cause = (err as { cause?: { code?: unknown } })?.cause?.code;
        throw new HashdTransportError('network', `cannot reach hashd${typeof cause === 'string' ? ` (${cause})` : ''}`);
      }
      if (res.status === 503 && attempt < retries) {
        const wait = retryAfterSeconds(res.headers.get('retry-after'));
        if (wait !== undefined && wait <= maxRetryAfter) {
          await res.body?.cancel();
          await sleep(wait * 1000);
          continue;
        }
      }
      return res;
    }
  };
}

const seg = (value: string) => encodeURIComponent(value);

/** A hashd client; every method resolves with the 2xx body or throws HashdApiError / HashdTransportError. */
export function createHashdClient(options: HashdClientOptions) {
  const base = `${options.baseUrl.replace(/\/+$/, '')}/v1`;
  const send = transport(options);
  /** One call of route R: `path` under /v1, a JSON body when the route takes one. */
  const call = async <R>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: RequestOf<R>): Promise<ResponseOf<R>> =>
    unwrap<ResponseOf<R>>(
      await send(`${base}${path}`, {
        method,
        headers: { accept: 'application/json', ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }),
    );
  return {
    /** Hashes a password with the policy's default (or a named) scheme. */
    hash: (body: RequestOf<typeof hashRoute>) => call<typeof hashRoute>('POST', '/hash', body),
    /** Verifies a password against a hash; `newHash` is set when the policy wants a rehash. */
    verify: (body: RequestOf<typeof verifyRoute>) => call<typeof verifyRoute>('POST', '/verify', body),
    /** Whether a stored hash should be replaced under the current policy. */
    needsRehash: (body: RequestOf<typeof needsRehashRoute>) => call<typeof needsRehashRoute>('POST', '/needs-rehash', body),
    /** Which scheme a hash is. */
    identify: (body: RequestOf<typeof identifyRoute>) => call<typeof identifyRoute>('POST', '/identify', body),

    /** Store-backed login: verifies the stored password (upgrading it when due), throttled per account and address. */
    login: (body: RequestOf<typeof loginRoute>) => call<typeof loginRoute>('POST', '/login', body),
    /** Sets (or changes) a user's password; a change revokes the user's sessions. */
    setPassword: (userId: string, body: RequestOf<typeof setPasswordRoute>) => call<typeof setPasswordRoute>('PUT', `/users/${seg(userId)}/password`, body),
    /** Removes everything stored for a user. */
    deleteUser: (userId: string) => call<typeof deleteUserRoute>('DELETE', `/users/${seg(userId)}`),

    sessions: {
      create: (body: RequestOf<typeof createSessionRoute>) => call<typeof createSessionRoute>('POST', '/sessions', body),
      verify: (body: RequestOf<typeof verifySessionRoute>) => call<typeof verifySessionRoute>('POST', '/sessions/verify', body),
      revoke: (sessionId: string) => call<typeof revokeSessionRoute>('DELETE', `/sessions/${seg(sessionId)}`),
      list: (userId: string) => call<typeof listUserSessionsRoute>('GET', `/users/${seg(userId)}/sessions`),
      revokeAll: (userId: string) => call<typeof revokeUserSessionsRoute>('DELETE', `/users/${seg(userId)}/sessions`),
    },
    tokens: {
      create: (body: RequestOf<typeof tokenRoute>) => call<typeof tokenRoute>('POST', '/tokens', body),
      verify: (body: RequestOf<typeof tokenVerifyRoute>) => call<typeof tokenVerifyRoute>('POST', '/tokens/verify', body),
    },
    otp: {
      /** A stateless random code (nothing stored). */
      generate: (body: RequestOf<typeof codeRoute>) => call<typeof codeRoute>('POST', '/otp/generate', body),
      /** Issues a stored one-time code for a user and purpose. */
      issue: (body: RequestOf<typeof issueCodeRoute>) => call<typeof issueCodeRoute>('POST', '/otp', body),
      verify: (body: RequestOf<typeof verifyCodeRoute>) => call<typeof verifyCodeRoute>('POST', '/otp/verify', body),
    },
    totp: {
      enroll: (body: RequestOf<typeof enrollRoute>) => call<typeof enrollRoute>('POST', '/totp/enroll', body),
      confirm: (body: RequestOf<typeof confirmRoute>) => call<typeof confirmRoute>('POST', '/totp/confirm', body),
      verify: (body: RequestOf<typeof verifyTotpRoute>) => call<typeof verifyTotpRoute>('POST', '/totp/verify', body),
      recover: (body: RequestOf<typeof recoverRoute>) => call<typeof recoverRoute>('POST', '/totp/recover', body),
      recoveryCodes: (body: RequestOf<typeof recoveryCodesRoute>) => call<typeof recoveryCodesRoute>('POST', '/totp/recovery-codes', body),
      remove: (userId: string) => call<typeof deleteTotpRoute>('DELETE', `/totp/${seg(userId)}`),
    },
  };
}

export type HashdClient = ReturnType<typeof createHashdClient>;
