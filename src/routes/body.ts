/**
 * Reads and validates request bodies. The Content-Type is checked before anything is read
 * (415 `unsupported_media_type`): a JSON endpoint takes `application/json` or a `+json` type,
 * because a browser may send `text/plain` or a form type cross-origin without a preflight. The
 * size limit is enforced while the body streams in, so a chunked upload without Content-Length
 * cannot bypass it; the bytes are decoded as strict UTF-8 (a plain `text()` would silently turn
 * invalid bytes into U+FFFD, so two different passwords could hash alike); then JSON, then the
 * zod schema. Every failure is a typed 4xx, and no message repeats any part of the body.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { HashdError } from '../errors';
import { gate } from './gate';

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * `application/json` or `application/<anything>+json`, with optional parameters. The same
 * grammar @hono/zod-openapi's media type gate accepts, so the two never disagree.
 */
const JSON_MEDIA_TYPE = /^application\/([a-z.-]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

/** A charset parameter other than UTF-8 would be decoded wrongly: refused like another type. */
const CHARSET = /;\s*charset=("?)([^;"]*)\1/i;

function unsupported(expected: string): HashdError {
  return new HashdError('unsupported_media_type', `the Content-Type must be ${expected}`, { details: { expected } });
}

function charsetIsUtf8(type: string): boolean {
  const charset = CHARSET.exec(type)?.[2];
  return charset === undefined || /^utf-?8$/i.test(charset.trim());
}

/** Throws 415 unless `type` is a JSON media type (with UTF-8, when a charset is named). */
export function assertJsonContentType(type: string | undefined): void {
  // What nearly every client sends, accepted without the two regular expressions.
  if (type === 'application/json') return;
  if (type === undefined || !JSON_MEDIA_TYPE.test(type.trim()) || !charsetIsUtf8(type)) throw unsupported('application/json');
}

/**
 * The media type (lowercased, without parameters) when it is one of `accepted`; else 415. For
 * the endpoints that take another body than JSON (import: NDJSON or CSV).
 */
export function acceptedContentType(type: string | undefined, accepted: readonly string[]): string {
  const essence = (type ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!accepted.includes(essence) || (type !== undefined && !charsetIsUtf8(type))) throw unsupported(accepted.join(' or '));
  return essence;
}

export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  const tooLarge = (): HashdError =>
    new HashdError('body_too_large', `the request body is larger than ${maxBytes} bytes`, { details: { maxBytes } });
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (declared !== null && /^\d+$/.test(declared)) {
    // A declared length within the limit bounds what the HTTP parser delivers, so the body is
    // read in one call: on Node that is @hono/node-server's direct read from the socket, without
    // building a web ReadableStream, AbortSignal and Request per request. The size is checked
    // again for a Request built in-process, whose header need not match its body.
    let body: ArrayBuffer;
    try {
      body = await request.arrayBuffer();
    } catch {
      throw new HashdError('invalid_request', 'the request body could not be read');
    }
    if (body.byteLength > maxBytes) throw tooLarge();
    return new Uint8Array(body);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      throw new HashdError('invalid_request', 'the request body could not be read');
    }
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(chunk.value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The one JSON value of a body: strict UTF-8, then JSON, parsed once (checked, typed errors). */
export function decodeJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new HashdError('invalid_utf8', 'the request body is not valid UTF-8');
  }
  if (text.trim() === '') throw new HashdError('invalid_json', 'the request body is empty; a JSON object is expected');
  try {
    return JSON.parse(text);
  } catch {
    throw new HashdError('invalid_json', 'the request body is not valid JSON');
  }
}

interface Issue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

/** 400 invalid_request from zod issues; they name the field, never its value. */
export function validationError(zodIssues: readonly Issue[]): HashdError {
  const issues = zodIssues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${(issue.keys ?? []).join(', ')}` : issue.message,
  }));
  const first = issues[0];
  return new HashdError('invalid_request', first ? `${first.path || 'body'}: ${first.message}` : 'invalid request body', {
    details: { issues },
  });
}

/** Validates already-decoded JSON; issues name the field, never its value. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error.issues);
  return result.data;
}

/** What jsonBody leaves for the route's validator (openapi.ts): the request's parsed body. */
const parsedBodies = new WeakMap<Request, unknown>();

/** Marks the middleware jsonBody makes, so the router can check that a JSON route has one. */
export const JSON_BODY = Symbol('hashd.jsonBody');

/**
 * The body jsonBody parsed for this request; `present` is false when jsonBody did not run (the
 * router refuses to build a JSON route without it, so that is a bug).
 */
export function parsedBody(c: Context): { present: boolean; value: unknown } {
  const raw = c.req.raw;
  return parsedBodies.has(raw) ? { present: true, value: parsedBodies.get(raw) } : { present: false, value: undefined };
}

/**
 * Reads a JSON body into the request, for routes that declare their body schema with
 * `defineRoute`: Content-Type first (415), then the bytes under the size limit (413), strict
 * UTF-8 and JSON (400), parsed once. The route's validator (openapi.ts) then runs the zod schema
 * on that value; the raw stream is never read twice. Put it after any check that must answer
 * before the body is read (capacity, database).
 *
 * `optional`: an empty body (with or without a Content-Type) stands for `{}`.
 */
export function jsonBody(maxBytes: number, options: { optional?: boolean } = {}): MiddlewareHandler {
  const middleware = gate(async (c) => {
    const type = c.req.header('content-type');
    const checked = type !== undefined || !options.optional;
    if (checked) assertJsonContentType(type);
    const bytes = await readBodyBytes(c.req.raw, maxBytes);
    if (bytes.byteLength === 0 && options.optional) parsedBodies.set(c.req.raw, {});
    else {
      // An optional body without a Content-Type is refused once it turns out not to be empty.
      if (!checked) assertJsonContentType(type);
      parsedBodies.set(c.req.raw, decodeJson(bytes));
    }
  });
  return Object.assign(middleware, { [JSON_BODY]: true });
}

/** For handlers that read a JSON body themselves: the same checks as jsonBody, then the schema. */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, maxBytes: number): Promise<z.infer<S>> {
  assertJsonContentType(c.req.header('content-type'));
  return validate(schema, decodeJson(await readBodyBytes(c.req.raw, maxBytes)));
}
