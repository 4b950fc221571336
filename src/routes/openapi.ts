/**
 * Routes and their documentation from one declaration. Each route is declared once with
 * `defineRoute` (path, method, request and response schemas, and the error codes it can answer);
 * the same declaration routes the request, validates it and produces /openapi.json (3.1).
 *
 * Request bodies are not left to @hono/zod-openapi's own JSON reading (no size limit, lenient
 * UTF-8, and its own error shape): the route's `jsonBody` middleware (body.ts) reads the body
 * first, with the streamed size limit and strict UTF-8, and hands the decoded text on, so the
 * library's validator only runs the zod schema; its failures go through `defaultHook`, which
 * answers the same typed 400 `invalid_request` as everywhere else and never repeats input.
 */
import { OpenAPIHono, createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { ErrorCode } from '../errors';
import type { AuthVariables } from './auth';
import { validationError } from './body';
import { errorResponse } from './schemas';

/**
 * `requestId`: the request's id (X-Request-Id when well-formed, else a new one), set first.
 * `refusal`: which limit refused a 429 `rate_limited` (account, address, issuance…), set by the
 * error handler for the metrics only; never sent to the caller.
 */
export type RouterEnv = { Variables: AuthVariables & { requestId: string; refusal: string | undefined } };

/** A sub-app whose validation failures are hashd's typed errors (see defaultHook). */
export function createRouter(): OpenAPIHono<RouterEnv> {
  return new OpenAPIHono<RouterEnv>({
    defaultHook(result) {
      if (!result.success) throw validationError(result.error.issues);
    },
  });
}

export interface RouteErrors {
  /** Every error code the route can answer, listed in its description and as `x-error-codes`. */
  errors: readonly ErrorCode[];
  /** False for routes outside /v1 that need no API key. Default true. */
  auth?: boolean;
}

/** The route's error codes as the document shows them (read back by the tests). */
export const ERROR_CODES_EXTENSION = 'x-error-codes';

/**
 * A route declaration with its error codes. The codes are written once, here; the document gets
 * them twice (in prose for readers, as `x-error-codes` for tools and tests), and every route gets
 * the shared error body as its `default` response.
 */
export function defineRoute<R extends RouteConfig>(config: R & RouteErrors): R {
  const { errors, auth = true, ...route } = config;
  const codes = [...new Set(errors)].sort();
  const description = [route.description, codes.length > 0 ? `Error codes: ${codes.map((code) => `\`${code}\``).join(', ')}.` : undefined]
    .filter((part) => part !== undefined)
    .join('\n\n');
  return createRoute({
    ...route,
    ...(description !== '' && { description }),
    ...(auth && { security: [{ apiKey: [] }] }),
    [ERROR_CODES_EXTENSION]: codes,
    responses: {
      ...route.responses,
      default: { description: 'Error', content: { 'application/json': { schema: errorResponse } } },
    },
  } as unknown as R);
}

/** Registers the document's shared parts on the root app (security scheme). */
export function registerDocumentParts(app: OpenAPIHono<RouterEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key from `npx hashd keys new TENANT` (add `--admin` for the admin routes).',
  });
}

/** The OpenAPI 3.1 document of everything mounted on `app`. */
export function buildDocument(app: OpenAPIHono<RouterEnv>, info: { version: string }): Record<string, unknown> {
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'hashd',
      version: info.version,
      description: 'Password and auth hashing service: hash, verify, upgrade legacy hashes on login.',
    },
  }) as unknown as Record<string, unknown>;
}
