/**
 * Issue 21, "a browser test": a page on another origin (a second loopback port) runs the SDK v2
 * client with an OAuth provider in headless Chromium against a hub whose auth is a real
 * authorization server (oidc-provider: DCR, PKCE, RFC 9068 `at+jwt` access tokens, scripted login
 * and consent), lists and calls a tool; the same page from an origin not in `hub.cors` is refused
 * and sees the failure. Screenshots go to test-results/browser-cors/ (not committed).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { chromiumAvailable, headlessChromiumLaunchOptions } from '@fedmcp/test-support';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcIssuer } from './fixtures/oidc-issuer.js';
import { everythingStdioEntry, repositoryRoot } from './fixtures/upstreams.js';

const artifacts = join(repositoryRoot, 'test-results', 'browser-cors');
const pageScript = fileURLToPath(new URL('./fixtures/browser-page.ts', import.meta.url));

const browserTests = chromiumAvailable('browser-cors');

describe.skipIf(!browserTests)('a browser client on another origin', () => {
  const cleanups: Array<() => PromiseLike<void> | void> = [];
  let browser: Browser;
  let hubUrl: string;
  let pagePort: number;
  const allowedOrigin = () => `http://app.localhost:${pagePort}`;
  const strangerOrigin = () => `http://stranger.localhost:${pagePort}`;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    // The page: one HTML document at / and /callback, and the SDK client bundled for the browser.
    const bundleDirectory = mkdtempSync(join(tmpdir(), 'fedmcp-browser-'));
    cleanups.push(() => rmSync(bundleDirectory, { recursive: true, force: true }));
    await build({
      entryPoints: [pageScript],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile: join(bundleDirectory, 'page.js'),
      logLevel: 'silent',
    });
    const script = readFileSync(join(bundleDirectory, 'page.js'));
    const pages = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://page').pathname;
      if (path === '/page.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else if (path === '/' || path === '/callback') {
        response
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>page</title><script type="module" src="/page.js"></script>');
      } else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    pagePort = (pages.address() as AddressInfo).port;
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          pages.closeAllConnections();
          pages.close(() => resolve());
        }),
    );

    const authorizationServer = await startOidcIssuer([allowedOrigin(), strangerOrigin()]);
    cleanups.push(() => authorizationServer[Symbol.asyncDispose]());
    const config = parseConfig(
      {
        hub: { host: '127.0.0.1', port: 0, cors: { allowedOrigins: [allowedOrigin()] } },
        store: 'memory:',
        auth: {
          oauth: {
            issuer: authorizationServer.issuer,
            typ: 'at+jwt',
            scopesSupported: ['mcp:tools'],
          },
        },
        mcpServers: { everything: everythingStdioEntry() },
      },
      'browser.config.json',
      { env: {} },
    );
    const hub = await createFedmcpServer({ config });
    cleanups.push(() => hub.close());
    hubUrl = (await hub.listen()).url;

    browser = await chromium.launch(headlessChromiumLaunchOptions);
    cleanups.push(() => browser.close());
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** Opens the page of `origin`; the authorization server's pages load no web fonts here. */
  async function openPage(origin: string): Promise<Page> {
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const page = await context.newPage();
    await page.route(/fonts\.googleapis\.com/, (route) => route.abort());
    await page.goto(`${origin}/?hub=${encodeURIComponent(hubUrl)}`);
    return page;
  }

  /** What the page script reported, once it has: its result or its error. */
  async function outcome(page: Page): Promise<{ result?: string; error?: string }> {
    await page.locator('#result, #error').waitFor();
    return page.evaluate(() => ({
      result: document.querySelector('#result')?.textContent ?? undefined,
      error: document.querySelector('#error')?.textContent ?? undefined,
    }));
  }

  it('registers, logs in, then lists and calls a tool through the hub', async () => {
    const page = await openPage(allowedOrigin());
    // The SDK read the hub's metadata cross-origin, registered (DCR) and sent us to the login.
    const login = page.locator('input[name=login]');
    await page.locator('input[name=login], #error').first().waitFor();
    expect(await page.locator('#error').count()).toBe(0);
    await page.screenshot({ path: join(artifacts, '1-login.png') });
    await login.fill('alice');
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    const consent = page.getByRole('button', { name: 'Continue' });
    await consent.waitFor();
    await page.screenshot({ path: join(artifacts, '2-consent.png') });
    await consent.click();
    // Back on the page: the code exchanged (PKCE, resource), an at+jwt token, MCP over CORS.
    const { result, error } = await outcome(page);
    await page.screenshot({ path: join(artifacts, '3-result.png') });
    expect(error).toBeUndefined();
    const answer = JSON.parse(result ?? '{}') as { tools: number; echo: string; text: string };
    expect(answer).toMatchObject({ echo: 'everything__echo', text: 'Echo: from the page' });
    expect(answer.tools).toBeGreaterThan(1);
    expect(new URL(page.url()).origin).toBe(allowedOrigin());
  }, 90_000);

  it('refuses the same page from an origin not in hub.cors, and the page sees it', async () => {
    const refused: string[] = [];
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    const page = await context.newPage();
    page.on('requestfailed', (request) => refused.push(request.url()));
    await page.goto(`${strangerOrigin()}/?hub=${encodeURIComponent(hubUrl)}`);
    const { result, error } = await outcome(page);
    await page.screenshot({ path: join(artifacts, '4-stranger.png') });
    expect(result).toBeUndefined();
    // The hub answers the preflight 403 without CORS headers: the browser keeps the answer
    // from the page's script, which sees a failed fetch.
    expect(error).toBe('TypeError: Failed to fetch');
    expect(refused).toContain(`${hubUrl}/mcp`);
    // Its public metadata stays readable from any origin.
    const metadata = await page.evaluate(async (url) => {
      const response = await fetch(`${url}/.well-known/oauth-protected-resource/mcp`);
      return { status: response.status, body: (await response.json()) as { resource: string } };
    }, hubUrl);
    expect(metadata).toEqual({
      status: 200,
      body: expect.objectContaining({ resource: `${hubUrl}/mcp` }),
    });
  }, 90_000);
});
