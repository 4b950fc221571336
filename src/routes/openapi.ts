/**
 * Builds the OpenAPI 3.1 document from the same zod schemas that validate requests. Each router
 * exports a list of RouteDoc next to its handlers; the document is assembled once at start.
 */
import { z } from 'zod';
import { errorResponse } from './schemas';

export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  description?: string;
  tag: string;
  auth: boolean;
  request?: z.ZodType;
  /** Status → description and optional JSON schema. */
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Error codes this route may answer with, listed in the description. */
  errors?: string[];
}

export function buildOpenApiDocument(routes: readonly RouteDoc[], info: { version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  // Every schema registered with an id (`.meta({ id })`) becomes a named component; the rest inline.
  const options = { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' } as const;
  const all = z.toJSONSchema(z.globalRegistry, { ...options, uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Record<string, unknown>> };
  const schemas: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(all.schemas)) {
    const { $schema: _ignored, ...rest } = schema;
    schemas[id] = rest;
  }
  const ref = (schema: z.ZodType): unknown => {
    const id = z.globalRegistry.get(schema)?.id;
    if (id) return { $ref: `#/components/schemas/${id}` };
    const { $schema: _ignored, ...inline } = z.toJSONSchema(schema, options) as Record<string, unknown>;
    return inline;
  };
  for (const route of routes) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = response.schema
        ? { description: response.description, content: { 'application/json': { schema: ref(response.schema) } } }
        : { description: response.description };
    }
    responses.default = { description: 'Error', content: { 'application/json': { schema: ref(errorResponse) } } };
    const description = [route.description, route.errors?.length ? `Error codes: ${route.errors.map((e) => `\`${e}\``).join(', ')}.` : undefined]
      .filter(Boolean)
      .join('\n\n');
    const operation: Record<string, unknown> = { summary: route.summary, tags: [route.tag], responses };
    if (description) operation.description = description;
    if (route.auth) operation.security = [{ apiKey: [] }];
    if (route.request) operation.requestBody = { required: true, content: { 'application/json': { schema: ref(route.request) } } };
    const openapiPath = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (params.length) operation.parameters = params;
    (paths[openapiPath] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'hashd',
      version: info.version,
      description: 'Password and auth hashing service: hash, verify, upgrade legacy hashes on login.',
    },
    components: { schemas, securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from `npx hashd keys new TENANT`.' } } },
    paths,
  };
}
