/**
 * The `/ui` dashboard in headless Chromium against a running hub: log in with the admin key, see
 * a call made through the REST facade appear in the live call log, approve a quarantined tool
 * with a click, revoke a consent grant. Screenshots are kept under `test-results/dashboard/`
 * (with FEDMCP_UPDATE_SCREENSHOTS=1 also written to `docs/` for the README).
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumAvailable, headlessChromiumLaunchOptions } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminFixture, startAdminFixture } from '../admin/admin-test-fixture.js';
import { exportAllTo, startTestHub, type TestHub } from '../federation/chain-fixtures.js';

const repoRoot = new URL('../../../../', import.meta.url);
const artifacts = new URL('test-results/dashboard/', repoRoot);

const browserTests = chromiumAvailable('dashboard');

// Waits are for page events; the timeout only bounds a shared, loaded machine.
describe.skipIf(!browserTests)('the /ui dashboard', { timeout: 60_000 }, () => {
  let fixture: AdminFixture;
  let browser: Browser;
  let page: Page;
  let session: Client;
  let directory: string;
  let peer: TestHub | undefined;

  async function screenshot(name: string) {
    await mkdir(artifacts, { recursive: true });
    const file = new URL(`${name}.png`, artifacts);
    await page.screenshot({ path: file.pathname, fullPage: false });
    if (process.env.FEDMCP_UPDATE_SCREENSHOTS === '1') {
      await mkdir(new URL('docs/', repoRoot), { recursive: true });
      await copyFile(file, new URL(`docs/dashboard-${name}.png`, repoRoot));
    }
  }

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-dashboard-'));
    fixture = await startAdminFixture();
    // An open MCP session, shown in the sessions table.
    session = new Client(
      { name: 'claude-desktop', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' } },
    );
    await session.connect(
      new StreamableHTTPClientTransport(new URL(`${fixture.baseUrl}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${fixture.userKey}` } },
      }),
    );
    browser = await chromium.launch(headlessChromiumLaunchOptions);
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Two upstream servers, the hub and Chromium starting on a shared, loaded machine.
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await session?.close();
    await peer?.server.close();
    await fixture?.[Symbol.asyncDispose]();
    await rm(directory, { recursive: true, force: true });
  }, 60_000);

  it('refuses a key without the admin scope and logs in with the admin key', async () => {
    await page.goto(`${fixture.baseUrl}/ui`);
    await page.fill('#key', fixture.userKey);
    await page.click('#login button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toContain('"admin" scope');
    await page.fill('#key', fixture.adminKey);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#upstreams tr[data-upstream="docs"] .badge.ready');
    expect(await page.textContent('#sessions tbody')).toContain('alice');
    expect(await page.textContent('#replicas')).toBe('single replica');
    // This hub and its upstream, coloured by state.
    expect(await page.locator('#graph circle').count()).toBe(2);
    expect(await page.locator('#graph circle.n-ready').count()).toBe(1);
  });

  it('approves a quarantined tool with a click', async () => {
    const row = page.locator('#tools tr[data-tool="docs__echo"]');
    await row.locator('.badge.quarantined').waitFor();
    await row.getByRole('button', { name: 'Approve' }).click();
    await row.locator('.badge.pinned').waitFor();
    const { tools } = await fixture.admin<{ tools: Array<{ name: string; pin: string }> }>(
      'GET',
      '/tools',
    );
    expect(tools.find((tool) => tool.name === 'docs__echo')?.pin).toBe('pinned');
    expect(tools.find((tool) => tool.name === 'docs__write')?.pin).toBe('quarantined');
  });

  it('shows a call in the live call log as it happens', async () => {
    const response = await fixture.request('POST', '/api/v1/tools/docs__echo:call', {
      key: fixture.userKey,
      body: { text: 'from the facade' },
    });
    expect(response.status).toBe(200);
    const row = page.locator('#calls tr[data-call="docs__echo"]').first();
    await row.waitFor();
    expect(await row.textContent()).toContain('alice');
  });

  it('revokes a consent grant with a click', async () => {
    const grant = await fixture.admin<{ id: string }>('POST', '/consent', {
      subject: 'alice',
      target: 'docs__write',
    });
    const row = page.locator(`#consent tr[data-consent="${grant.id}"]`);
    await row.waitFor();
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await fixture.admin('GET', '/consent')).toEqual({ grants: [] });
  });

  it('searches the audit trail: the grant and its revocation', async () => {
    await page.selectOption('#audit-search select[name=type]', 'consent');
    await page.click('#audit-search button[type=submit]');
    const revoked = page.locator('#audit tbody .badge.revoked');
    await revoked.first().waitFor();
    expect(await page.locator('#audit tbody .badge.granted').count()).toBeGreaterThan(0);
    await page.locator('#audit').scrollIntoViewIfNeeded();
    await screenshot('audit');
  });

  it('draws a peer hub and its upstreams in the federated health graph', async () => {
    peer = await startTestHub(join(directory, 'eu'), 'eu', {
      mcpServers: { extra: { url: fixture.extraUrl, type: 'http' } },
      policy: exportAllTo('admin-hub'),
      peers: { 'admin-hub': { url: fixture.baseUrl, import: false } },
    });
    await fixture.reconfigure((input) => ({ ...input, peers: { eu: { url: peer?.url ?? '' } } }));
    // This hub and eu (hubs), docs and eu's upstream extra, as eu reports it.
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#graph circle.n-hub').length === 2 &&
        document.querySelectorAll('#graph circle.n-ready').length === 2,
    );
    expect(await page.locator('#graph text').allTextContents()).toEqual(
      expect.arrayContaining(['admin-hub', 'eu', 'docs (2)', 'extra (2)']),
    );
    await page.locator('#peers tr', { hasText: 'eu' }).locator('.badge.ready').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot('overview');
  });
});
