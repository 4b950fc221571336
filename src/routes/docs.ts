/**
 * GET /docs: Swagger UI served from the installed swagger-ui-dist package, never from a CDN, so
 * the page works air-gapped and no third-party script runs in the service's origin. The page,
 * its start script and its assets are all same-origin, under a strict Content-Security-Policy
 * that allows only 'self' (no inline script, no eval, no other origin).
 *
 * Runtime-agnostic: the entry injects `asset(name)`, which reads a file of swagger-ui-dist (the
 * Node entry from node_modules).
 */
import { Hono } from 'hono';

export interface DocsDeps {
  /** The bytes of one swagger-ui-dist file, or undefined when it does not exist. */
  asset(name: DocsAsset): Promise<Uint8Array | undefined>;
}

export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'] as const;
export type DocsAsset = (typeof DOCS_ASSETS)[number];

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', png: 'image/png' };

export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>hashd API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'BaseLayout',
  validatorUrl: null,
});
`;

export function docsRoutes(deps: DocsDeps): Hono {
  const app = new Hono();
  const secure = { 'content-security-policy': DOCS_CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  app.get('/docs', (c) => c.body(PAGE, 200, { ...secure, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }));
  app.get('/docs/init.js', (c) => c.body(INIT, 200, { ...secure, 'content-type': TYPES.js as string, 'cache-control': 'no-cache' }));
  app.get('/docs/assets/:name', async (c) => {
    const name = c.req.param('name');
    if (!(DOCS_ASSETS as readonly string[]).includes(name)) return c.notFound();
    const bytes = await deps.asset(name as DocsAsset);
    if (bytes === undefined) return c.notFound();
    const type = TYPES[name.slice(name.lastIndexOf('.') + 1)] as string;
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { ...secure, 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
  return app;
}
