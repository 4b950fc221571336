/**
 * /docs in a real headless browser: Debian's chromium (installed by .ci/install-chromium, which
 * .ci/run calls) driven by playwright-core. The page renders the operation list from the
 * service's own assets, with no request beyond the service's origin and no Content-Security-Policy
 * violation, and "Try it out" on POST /v1/hash returns a hash. Under CI=true a missing chromium
 * fails this test; elsewhere it is skipped with the command that installs it.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { swaggerUiAsset } from '../../src/entry/docs-node';
import { silentLogger } from '../../src/logger';
import { makeCrypt } from '../helpers';

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
const required = process.env.CI === 'true';
if (!present && !required) console.warn(`[docs-browser] skipped: ${CHROMIUM} is missing (run: bash .ci/install-chromium)`);

describe.skipIf(!present && !required)('/docs in chromium', () => {
  let server: ReturnType<typeof serve>;
  let origin = '';
  let browser: Browser;

  beforeAll(async () => {
    if (!present) throw new Error(`${CHROMIUM} is missing; CI requires it for the /docs browser test (bash .ci/install-chromium)`);
    const { crypt } = makeCrypt();
    const app = createApp({ crypt, apiKeys: [], maxBodyBytes: 65536, logger: silentLogger, docsAsset: swaggerUiAsset });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve());
    });
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // --no-sandbox: the tests may run as root, where chromium's sandbox cannot start.
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  it('renders the operations from same-origin assets, without CSP violations, and Try it out hashes', { timeout: 180_000 }, async () => {
    const page = await browser.newPage();
    const requests: string[] = [];
    const foreign: string[] = [];
    const consoleProblems: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    // Anything beyond the service's origin is recorded and never leaves the machine.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /content security policy/i.test(msg.text())) consoleProblems.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => consoleProblems.push(`pageerror: ${err.message}`));
    await page.addInitScript(() => {
      const w = window as unknown as { __csp: string[] };
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });

    const res = await page.goto(`${origin}/docs`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    const hashOp = page.locator('.opblock-post .opblock-summary-path[data-path="/v1/hash"]');
    await hashOp.waitFor({ state: 'visible', timeout: 60_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    await expect.poll(() => page.locator('.opblock-summary-path[data-path="/v1/verify"]').count()).toBe(1);

    // Try it out on POST /v1/hash.
    await hashOp.click();
    const block = page.locator('.opblock-post', { has: page.locator('.opblock-summary-path[data-path="/v1/hash"]') });
    await block.locator('button.try-out__btn').click();
    await block.locator('textarea.body-param__text').fill(JSON.stringify({ password: 'tried it out' }));
    await block.locator('button.execute').click();
    const body = block.locator('.live-responses-table .response-col_description pre').first();
    await body.waitFor({ state: 'visible', timeout: 60_000 });
    await expect.poll(async () => (await body.textContent()) ?? '', { timeout: 60_000 }).toContain('$argon2id$');
    expect(await block.locator('.live-responses-table tr.response td.response-col_status').first().textContent()).toContain('200');

    expect(foreign).toEqual([]);
    expect(requests.length).toBeGreaterThan(3);
    for (const url of requests) expect(new URL(url).origin).toBe(origin);
    expect(requests).toContain(`${origin}/openapi.json`);
    expect(requests.some((u) => u === `${origin}/v1/hash`)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp)).toEqual([]);
    expect(consoleProblems).toEqual([]);
    await page.close();
  });
});
