/**
 * The admin API and the REST facade against a running hub with real upstreams: every route,
 * refusals without credentials (401) and without the admin scope (403), and problem details
 * (RFC 9457) on bad input.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminFixture, startAdminFixture } from './admin-test-fixture.js';

let fixture: AdminFixture;

beforeAll(async () => {
  fixture = await startAdminFixture();
}, 60_000);

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
}, 60_000);

async function expectProblem(response: Response, status: number, detail: RegExp) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/problem+json');
  const problem = (await response.json()) as { status: number; title: string; detail: string };
  expect(problem.status).toBe(status);
  expect(problem.title).toBeTruthy();
  expect(problem.detail).toMatch(detail);
  return problem;
}

async function openSession(key: string) {
  const client = new Client(
    { name: 'admin-test', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(`${fixture.baseUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${key}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

/** A REST facade call. */
const call = (name: string, body: unknown, key?: string) =>
  fixture.request('POST', `/api/v1/tools/${name}:call`, { body, ...(key ? { key } : {}) });

type Tool = { name: string; upstream?: string; pin: string; reason?: string };

describe('admin API: authentication', () => {
  it('refuses a caller without credentials with 401 and a Bearer challenge', async () => {
    const response = await fixture.request('GET', '/admin/v1/upstreams');
    await expectProblem(response, 401, /Bearer/);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses a caller without the admin scope with 403', async () => {
    const response = await fixture.request('GET', '/admin/v1/upstreams', { key: fixture.userKey });
    await expectProblem(response, 403, /"admin" scope/);
    const { events } = await fixture.admin<{ events: Array<{ event: Record<string, unknown> }> }>(
      'GET',
      '/audit?type=auth&outcome=denied&subject=alice',
    );
    expect(events.map(({ event }) => event.action)).toEqual(['GET /admin/v1/upstreams']);
  });

  it('answers an unknown path with 404 and a wrong method with 405 and Allow', async () => {
    await expectProblem(await fixture.request('GET', '/admin/v1/nothing'), 404, /openapi\.json/);
    const response = await fixture.request('PATCH', '/admin/v1/upstreams', {
      key: fixture.adminKey,
    });
    await expectProblem(response, 405, /GET/);
    expect(response.headers.get('allow')).toBe('GET');
    await expectProblem(
      await fixture.request('GET', '/admin/v1/upstreams/%E0%A4%A', { key: fixture.adminKey }),
      400,
      /percent-encoding/,
    );
  });
});

describe('admin API: tools and pinning', () => {
  it('lists the new tools as quarantined, with the reason, and as pending changes', async () => {
    const { tools } = await fixture.admin<{ tools: Tool[] }>('GET', '/tools');
    expect(tools).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'docs__echo', upstream: 'docs', pin: 'quarantined' }),
        expect.objectContaining({ name: 'docs__write', upstream: 'docs', pin: 'quarantined' }),
      ]),
    );
    const { pending } = await fixture.admin<{ pending: Array<{ name: string; digest: string }> }>(
      'GET',
      '/tools/pending',
    );
    expect(pending.map((change) => change.name).sort()).toEqual(['echo', 'write']);
    expect(pending[0]?.digest).toMatch(/\S/);
  });

  it('approves a held tool: it is listed as pinned and callable; the other stays held', async () => {
    const { approved } = await fixture.admin<{ approved: unknown[] }>(
      'POST',
      '/tools/docs/echo/approve',
    );
    expect(approved).toEqual([{ upstream: 'docs', kind: 'tool', name: 'echo' }]);
    const { tools } = await fixture.admin<{ tools: Tool[] }>('GET', '/tools');
    expect(tools.find((tool) => tool.name === 'docs__echo')?.pin).toBe('pinned');
    expect(tools.find((tool) => tool.name === 'docs__write')?.pin).toBe('quarantined');
    await fixture.admin('POST', '/tools/docs/write/approve');
  });

  it('answers 404 for approving or diffing what is not pending, 400 for a bad kind', async () => {
    await expectProblem(
      await fixture.request('POST', '/admin/v1/tools/docs/echo/approve', { key: fixture.adminKey }),
      404,
      /Nothing of docs\/echo is pending/,
    );
    await expectProblem(
      await fixture.request('GET', '/admin/v1/tools/docs/echo/diff', { key: fixture.adminKey }),
      404,
      /pending/,
    );
    const problem = await expectProblem(
      await fixture.request('GET', '/admin/v1/tools/docs/echo/diff?kind=widget', {
        key: fixture.adminKey,
      }),
      400,
      /query\.kind/,
    );
    expect(problem).toMatchObject({ errors: [{ path: 'query.kind' }] });
  });
});

describe('admin API: upstreams', () => {
  it('lists and gets upstreams with state, source and no secret values', async () => {
    const { upstreams } = await fixture.admin<{ upstreams: Array<Record<string, unknown>> }>(
      'GET',
      '/upstreams',
    );
    expect(upstreams).toEqual([
      expect.objectContaining({
        id: 'docs',
        state: 'ready',
        transport: 'remote',
        source: 'config',
      }),
    ]);
    expect(await fixture.admin('GET', '/upstreams/docs')).toMatchObject({ id: 'docs', tools: 2 });
    await expectProblem(
      await fixture.request('GET', '/admin/v1/upstreams/nope', { key: fixture.adminKey }),
      404,
      /No upstream "nope"/,
    );
  });

  it('adds, updates, restarts and removes an upstream while an open session keeps working', async () => {
    const { client } = await openSession(fixture.userKey);
    try {
      const added = await fixture.admin('POST', '/upstreams/extra', {
        url: fixture.extraUrl,
        type: 'http',
        headers: { authorization: 'Bearer upstream-secret' },
      });
      expect(added).toMatchObject({
        id: 'extra',
        state: 'ready',
        source: 'admin',
        headerNames: ['authorization'],
      });
      expect(JSON.stringify(added)).not.toContain('upstream-secret');
      // Kept in the store, for a restart.
      expect(await fixture.server.store.kv.get('admin:upstreams:extra')).toBeDefined();
      const again = await fixture.request('POST', '/admin/v1/upstreams/extra', {
        key: fixture.adminKey,
        body: { url: fixture.extraUrl },
      });
      await expectProblem(again, 409, /exists/);
      const updated = await fixture.admin('PUT', '/upstreams/extra', {
        url: fixture.extraUrl,
        type: 'http',
        prefix: 'more',
      });
      expect(updated).toMatchObject({ id: 'extra', prefix: 'more', state: 'ready' });
      expect(await fixture.admin('POST', '/upstreams/docs/restart')).toMatchObject({
        id: 'docs',
        state: 'ready',
      });
      await fixture.admin('DELETE', '/upstreams/extra');
      await expectProblem(
        await fixture.request('GET', '/admin/v1/upstreams/extra', { key: fixture.adminKey }),
        404,
        /extra/,
      );
      expect(await fixture.server.store.kv.get('admin:upstreams:extra')).toBeUndefined();
      // The session opened before all of this still calls tools.
      const result = await client.callTool({
        name: 'docs__echo',
        arguments: { text: 'still here' },
      });
      expect(result.content).toEqual([{ type: 'text', text: 'docs: still here' }]);
    } finally {
      await client.close();
    }
  });

  it('refuses a bad upstream body with problem details naming the field', async () => {
    const bad = await fixture.request('POST', '/admin/v1/upstreams/bad', {
      key: fixture.adminKey,
      body: { url: 'ftp://example.com' },
    });
    const problem = await expectProblem(bad, 400, /body/);
    expect(problem).toHaveProperty('errors');
    await expectProblem(
      await fixture.request('POST', '/admin/v1/upstreams/Bad_Id', {
        key: fixture.adminKey,
        body: { url: fixture.extraUrl },
      }),
      400,
      /path\.id/,
    );
    const notJson = await fetch(`${fixture.baseUrl}/admin/v1/upstreams/bad`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.adminKey}`, 'content-type': 'text/plain' },
      body: 'url=x',
    });
    await expectProblem(notJson, 415, /JSON/);
    const broken = await fetch(`${fixture.baseUrl}/admin/v1/upstreams/bad`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fixture.adminKey}`, 'content-type': 'application/json' },
      body: '{"url":',
    });
    await expectProblem(broken, 400, /not valid JSON/);
  });
});

describe('admin API: upstreams across a restart', () => {
  it('keeps an upstream added through the API when the config file is reloaded', async () => {
    await fixture.admin('POST', '/upstreams/kept', { url: fixture.extraUrl, type: 'http' });
    try {
      await fixture.reconfigure((input) => ({ ...input, hub: { ...input.hub, name: 'renamed' } }));
      expect(await fixture.admin('GET', '/upstreams/kept')).toMatchObject({ source: 'admin' });
    } finally {
      await fixture.admin('DELETE', '/upstreams/kept');
    }
  });

  it('re-adds an upstream added through the API when the hub starts again on the same store', async () => {
    const stateDirectory = await mkdtemp(join(tmpdir(), 'fedmcp-admin-state-'));
    try {
      let extraUrl: string;
      {
        await using first = await startAdminFixture({ stateDirectory });
        extraUrl = first.extraUrl;
        await first.admin('POST', '/upstreams/extra', { url: extraUrl, type: 'http' });
      }
      await using second = await startAdminFixture({ stateDirectory });
      expect(await second.admin('GET', '/upstreams/extra')).toMatchObject({
        id: 'extra',
        source: 'admin',
        url: extraUrl,
      });
    } finally {
      await rm(stateDirectory, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('admin API: policy', () => {
  it('shows the rules, validates a rule set and explains a decision', async () => {
    const { rules } = await fixture.admin<{ rules: Array<{ id: string }> }>('GET', '/policy');
    expect(rules.map((rule) => rule.id)).toEqual(['ask-before-writing', 'all']);
    expect(
      await fixture.admin('POST', '/policy/validate', {
        rules: [{ effect: 'allow', subjects: ['*'], actions: ['*'] }],
      }),
    ).toEqual({ valid: true, rules: 1 });
    await expectProblem(
      await fixture.request('POST', '/admin/v1/policy/validate', {
        key: fixture.adminKey,
        body: { rules: [{ effect: 'maybe', subjects: ['*'] }] },
      }),
      422,
      /rules/,
    );
    const explained = await fixture.admin<Record<string, unknown>>('POST', '/policy/explain', {
      subject: 'alice',
      target: 'docs__write',
    });
    expect(explained).toMatchObject({ allowed: true, consentRequired: true, rule: 'all' });
    expect(explained.explanation).toContain('ask-before-writing');
  });
});

describe('REST facade and consent', () => {
  it('calls a tool for a caller without the admin scope, and refuses a caller without credentials', async () => {
    const response = await call('docs__echo', { text: 'hi' }, fixture.userKey);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ content: [{ type: 'text', text: 'docs: hi' }] });
    await expectProblem(await call('docs__echo', { text: 'hi' }), 401, /credentials/);
    await expectProblem(await call('docs__nothing', {}, fixture.userKey), 400, /nothing/);
  });

  it('needs consent for docs__write: granted through the API it goes through, revoked it is refused again', async () => {
    await expectProblem(await call('docs__write', { note: 'a' }, fixture.userKey), 403, /consent/i);
    const grant = await fixture.admin<{ id: string }>('POST', '/consent', {
      subject: 'alice',
      target: 'docs__write',
    });
    expect(grant).toMatchObject({
      subject: 'alice',
      decision: 'allow',
      scope: 'always',
      grantedVia: 'api',
    });
    const { grants } = await fixture.admin<{ grants: Array<{ id: string }> }>(
      'GET',
      '/consent?subject=alice',
    );
    expect(grants.map((entry) => entry.id)).toEqual([grant.id]);
    const allowed = await call('docs__write', { note: 'a' }, fixture.userKey);
    expect(await allowed.json()).toMatchObject({ content: [{ text: 'wrote a' }] });
    await fixture.admin('DELETE', `/consent/${grant.id}`);
    await expectProblem(await call('docs__write', { note: 'b' }, fixture.userKey), 403, /consent/i);
    await expectProblem(
      await fixture.request('DELETE', `/admin/v1/consent/${grant.id}`, { key: fixture.adminKey }),
      404,
      /No consent grant/,
    );
    await expectProblem(
      await fixture.request('POST', '/admin/v1/consent', {
        key: fixture.adminKey,
        body: { subject: 'alice', target: 'x', scope: 'forever' },
      }),
      400,
      /body\.scope/,
    );
  });
});

describe('admin API: audit and the live call log', () => {
  it('queries audit events with filters and pages', async () => {
    const first = await fixture.admin<{
      events: Array<{ id: string; event: Record<string, unknown> }>;
      next?: string;
    }>('GET', '/audit?type=call&subject=alice&limit=1');
    expect(first.events).toHaveLength(1);
    expect(first.events[0]?.event).toMatchObject({ type: 'call', principal: { subject: 'alice' } });
    expect(first.next).toBe(first.events[0]?.id);
    const second = await fixture.admin<{ events: Array<{ id: string }> }>(
      'GET',
      `/audit?type=call&subject=alice&limit=1&after=${first.next}`,
    );
    expect(second.events[0]?.id).not.toBe(first.events[0]?.id);
    const newest = await fixture.admin<{ events: Array<{ event: { target?: string } }> }>(
      'GET',
      '/audit?type=consent&newest=true&limit=5',
    );
    expect(newest.events.length).toBeGreaterThan(0);
    await expectProblem(
      await fixture.request('GET', '/admin/v1/audit?limit=0', { key: fixture.adminKey }),
      400,
      /query\.limit/,
    );
  });

  it('streams a call made after subscribing as a Server-Sent Event', async () => {
    const controller = new AbortController();
    // Only calls by `ops`: there is none before this test, so what arrives is the new one.
    const response = await fetch(`${fixture.baseUrl}/admin/v1/calls/stream?subject=ops`, {
      headers: { authorization: `Bearer ${fixture.adminKey}` },
      signal: controller.signal,
    });
    try {
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      // The stream is open once its first comment arrived.
      while (!text.includes(': stream open')) text += (await reader.read()).value ?? '';
      expect(text).not.toContain('event: audit');
      const answered = await call('docs__echo', { text: 'live' }, fixture.adminKey);
      expect(answered.status).toBe(200);
      while (!/event: audit\ndata: .*\n\n/.test(text)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
      const data = /event: audit\ndata: (.*)\n\n/.exec(text)?.[1] ?? '{}';
      expect(JSON.parse(data)).toMatchObject({
        type: 'call',
        target: 'docs__echo',
        outcome: 'success',
        principal: { subject: 'ops' },
      });
    } finally {
      controller.abort();
    }
  });
});

describe('admin API: sessions, tasks, peers', () => {
  it('lists an open session with its subject and closes it', async () => {
    const { client, transport } = await openSession(fixture.userKey);
    const { sessions } = await fixture.admin<{ sessions: Array<{ id: string; subject: string }> }>(
      'GET',
      '/sessions',
    );
    const mine = sessions.find((session) => session.id === transport.sessionId);
    expect(mine).toMatchObject({ subject: 'alice', transport: 'streamable-http', era: 'legacy' });
    await fixture.admin('DELETE', `/sessions/${transport.sessionId}`);
    const after = await fixture.admin<{ sessions: Array<{ id: string }> }>('GET', '/sessions');
    expect(after.sessions.some((session) => session.id === transport.sessionId)).toBe(false);
    await expect(
      client.callTool({ name: 'docs__echo', arguments: { text: 'x' } }),
    ).rejects.toThrow();
    await client.close();
    await expectProblem(
      await fixture.request('DELETE', '/admin/v1/sessions/none', { key: fixture.adminKey }),
      404,
      /No open session/,
    );
  });

  it('lists tasks and answers 404 for an unknown one', async () => {
    expect(await fixture.admin('GET', '/tasks')).toEqual({ tasks: [] });
    await expectProblem(
      await fixture.request('GET', '/admin/v1/tasks/nope', { key: fixture.adminKey }),
      404,
      /./,
    );
  });

  it('lists peers (none) and the federated status of this hub', async () => {
    expect(await fixture.admin('GET', '/peers')).toEqual({ peers: [] });
    expect(await fixture.admin('GET', '/status?depth=0')).toMatchObject({
      hub: { id: 'admin-hub' },
      upstreams: [expect.objectContaining({ id: 'docs', state: 'ready' })],
    });
  });
});
