/**
 * Routes and their documentation from one declaration. Each route is declared once with
 * `defineRoute` (path, method, request and response schemas, and the error codes it can answer);
 * the same declaration routes the request, validates it and produces /openapi.json (3.1).
 *
 * Request bodies are not left to @hono/zod-openapi's own JSON reading (no size limit, lenient
 * UTF-8, and its own error shape): the route's `jsonBody` middleware (body.ts) reads the body
 * first, with the streamed size limit and strict UTF-8, and parses it once. The router then runs
 * the route's zod schema on that value itself, synchronously (jsonValidator below), in place of
 * the library's media-type gate and validator, which would check the Content-Type again, parse
 * the text a second time and validate through promises: on a small request that was a tenth of
 * its CPU. Failures are the same typed 400 `invalid_request` as everywhere else (defaultHook
 * answers them for params and queries) and never repeat input.
 */
import { OpenAPIHono, createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context, Next } from 'hono';
import type { z } from 'zod';
import type { ErrorCode } from '../errors';
import type { AuthVariables } from './auth';
import { JSON_BODY, parsedBody, validationError } from './body';
import { gateCheck, runChecks, type GateCheck } from './gate';
import { errorResponse } from './schemas';

/**
 * `requestId`: the request's id (X-Request-Id when well-formed, else a new one), set first.
 * `errorCode`: the error code of an error response (also its x-hashd-error header), for the request log.
 * `refusal`: which limit refused a 429 `rate_limited` (account, address, issuance…), set by the
 * error handler for the metrics only; never sent to the caller.
 */
export type RouterEnv = { Variables: AuthVariables & { requestId: string; refusal: string | undefined; errorCode: string | undefined } };

/** Runs a JSON route's schema on the body its jsonBody middleware parsed (a gate, run last). */
function jsonValidator(schema: z.ZodType, where: string): GateCheck {
  return (c) => {
    const body = parsedBody(c);
    if (!body.present) throw new Error(`${where}: the body validator ran without jsonBody`);
    const result = schema.safeParse(body.value);
    if (!result.success) throw validationError(result.error.issues);
    c.req.addValidatedData('json', result.data as object);
  };
}

/** The zod schema of a route's `application/json` body, if it declares one. */
function jsonBodySchema(route: RouteConfig): z.ZodType | undefined {
  const media = route.request?.body?.content?.['application/json'] as { schema?: unknown } | undefined;
  const schema = media?.schema;
  return typeof schema === 'object' && schema !== null && '_zod' in schema ? (schema as unknown as z.ZodType) : undefined;
}

type AnyHandler = (c: Context, next: Next) => unknown;

/**
 * A sub-app whose validation failures are hashd's typed errors (see defaultHook), and whose routes
 * run lean:
 * - A JSON route validates its body with jsonValidator, synchronously, on the value its jsonBody
 *   middleware parsed; it is documented as declared and routed without the library's body
 *   validators. A JSON route without a jsonBody middleware is refused when it is registered.
 * - A route whose middleware are all gates (gate.ts) and that validates no params, query,
 *   headers or cookies runs its gates and its handler as one step, in the same order.
 */
export function createRouter(): OpenAPIHono<RouterEnv> {
  const router = new OpenAPIHono<RouterEnv>({
    defaultHook(result) {
      if (!result.success) throw validationError(result.error.issues);
    },
  });
  const register = router.openapi as unknown as (config: RouteConfig & { hide?: boolean }, handler: AnyHandler, hook?: unknown) => OpenAPIHono<RouterEnv>;
  router.openapi = ((config: RouteConfig & { hide?: boolean }, handler: AnyHandler, hook?: unknown) => {
    const where = `${config.method.toUpperCase()} ${config.path}`;
    const { middleware, hide, ...route } = config;
    const given = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
    const schema = jsonBodySchema(config);
    let request = config.request;
    const checks: GateCheck[] = [];
    if (schema !== undefined && request?.body !== undefined) {
      if (Object.keys(request.body.content).length !== 1) throw new Error(`${where}: a JSON body route declares one media type`);
      if (!given.some((m) => (m as { [JSON_BODY]?: boolean })[JSON_BODY] === true)) throw new Error(`${where}: a JSON body route needs a jsonBody middleware`);
      // Documented with its body; routed without the library's validators for it.
      if (!hide) router.openAPIRegistry.registerPath(route);
      const { body: _documented, ...rest } = request;
      request = rest;
      checks.push(jsonValidator(schema, where));
    }
    const routed = { ...route, request, hide: hide === true || checks.length > 0 };
    const gates = given.map(gateCheck);
    const validatesMore = request !== undefined && (request.params !== undefined || request.query !== undefined || request.headers !== undefined || request.cookies !== undefined);
    if (!validatesMore && gates.every((check) => check !== undefined)) {
      const all = [...(gates as GateCheck[]), ...checks];
      const folded: AnyHandler = (c, next) => {
        const pending = runChecks(all, c);
        return pending === undefined ? handler(c, next) : pending.then(() => handler(c, next));
      };
      return register(routed, folded, hook);
    }
    // The library validates params (and the rest) after the middleware; the body is checked
    // after them, as the library's own body validator would be.
    const checked: AnyHandler = checks.length === 0 ? handler : (c, next) => {
      for (const check of checks) void check(c);
      return handler(c, next);
    };
    return register({ ...routed, middleware: given }, checked, hook);
  }) as unknown as typeof router.openapi;
  return router;
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
