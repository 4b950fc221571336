/**
 * Reads and validates a JSON request body. The size limit is enforced while the body streams in,
 * so a chunked upload without Content-Length cannot bypass it; the bytes are decoded as strict
 * UTF-8 (a plain `text()` would silently turn invalid bytes into U+FFFD, so two different
 * passwords could hash alike); then JSON, then the zod schema. Every failure is a typed 4xx, and
 * no message repeats any part of the body.
 */
import type { Context } from 'hono';
import type { z } from 'zod';
import { HashdError } from '../errors';

const decoder = new TextDecoder('utf-8', { fatal: true });

export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  const tooLarge = (): HashdError =>
    new HashdError('body_too_large', `the request body is larger than ${maxBytes} bytes`, { details: { maxBytes } });
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
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

/** Validates already-decoded JSON; issues name the field, never its value. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: issue.path.join('.'),
      message: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
    }));
    const first = issues[0];
    throw new HashdError('invalid_request', first ? `${first.path || 'body'}: ${first.message}` : 'invalid request body', {
      details: { issues },
    });
  }
  return result.data;
}

/**
 * The body is parsed as JSON whatever the Content-Type says: clients in many languages (and curl's
 * -d) send JSON under a form type, and refusing them would help nobody.
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S, maxBytes: number): Promise<z.infer<S>> {
  return validate(schema, decodeJson(await readBodyBytes(c.req.raw, maxBytes)));
}
