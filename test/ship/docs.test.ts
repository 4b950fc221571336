/**
 * /docs: Swagger UI from the installed swagger-ui-dist, same-origin only, under a strict CSP.
 * The page's every script, stylesheet and image is a /docs path of this service, and each one
 * is served (so the page needs no network beyond the service itself).
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { swaggerUiAsset } from '../../src/entry/docs-node';
import { silentLogger } from '../../src/logger';
import { DOCS_CSP } from '../../src/routes/docs';
import { makeCrypt } from '../helpers';

const { crypt } = makeCrypt();
const app = createApp({ crypt, apiKeys: [], maxBodyBytes: 65536, logger: silentLogger, docsAsset: swaggerUiAsset });

describe('GET /docs', () => {
  it('serves the page with a self-only CSP and only same-origin references', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') as string;
    expect(csp).toBe(DOCS_CSP);
    for (const directive of csp.split('; ')) expect(directive).not.toMatch(/https?:|\*|'unsafe-(inline|eval)'/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    // No inline script: every <script> has a src.
    expect(html.match(/<script>/g)).toBeNull();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(refs.length).toBe(5);
    for (const ref of refs) {
      expect(ref).toMatch(/^\/docs\//);
      const asset = await app.request(ref);
      expect(asset.status, ref).toBe(200);
      expect(asset.headers.get('content-security-policy')).toBe(DOCS_CSP);
      expect((await asset.arrayBuffer()).byteLength, ref).toBeGreaterThan(100);
    }
    expect(await (await app.request('/docs/init.js')).text()).toContain("url: '/openapi.json'");
  });

  it('serves only the listed assets', async () => {
    expect((await app.request('/docs/assets/package.json')).status).toBe(404);
    expect((await app.request('/docs/assets/..%2Fpackage.json')).status).toBe(404);
  });
});
