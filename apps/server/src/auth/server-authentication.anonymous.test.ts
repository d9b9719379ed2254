import { silentLogger } from '@fedmcp/protocol';
import {
  type AuditEvent,
  createAuditLog,
  generateApiKey,
  hashApiKey,
  type Principal,
} from '@fedmcp/proxy-auth';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createServerAuthentication } from './server-authentication.js';

const resource = 'http://127.0.0.1:3000/mcp';

function setup(auth: Record<string, unknown> | undefined, successAuditIntervalMs?: number) {
  const config = parseConfig(
    { hub: { host: '127.0.0.1', port: 3000 }, store: 'memory:', ...(auth ? { auth } : {}) },
    'fedmcp.config.json',
    { env: {} },
  );
  const events: AuditEvent[] = [];
  const authentication = createServerAuthentication({
    config,
    resource,
    audit: createAuditLog({ sinks: [{ write: (event) => void events.push(event) }] }),
    logger: silentLogger,
    ...(successAuditIntervalMs === undefined ? {} : { successAuditIntervalMs }),
  });
  const authenticate = (headers: Record<string, string> = {}) =>
    authentication.authenticate({ method: 'POST', url: resource, headers: new Headers(headers) });
  return { authenticate, events };
}

const isThenable = (value: unknown) =>
  typeof (value as { then?: unknown } | undefined)?.then === 'function';

describe('createServerAuthentication — anonymous callers', () => {
  it('answers an anonymous caller without a promise once its success is recorded for the interval', async () => {
    const { authenticate, events } = setup(undefined);
    const first = authenticate();
    expect(isThenable(first)).toBe(true); // recorded first
    expect(await first).toMatchObject({ subject: 'anonymous', authMethod: 'anonymous' });
    const later = authenticate();
    expect(isThenable(later)).toBe(false);
    expect(later).toMatchObject({ subject: 'anonymous', authMethod: 'anonymous', groups: [] });
    // A principal of its own per request (callers may annotate theirs).
    expect(authenticate()).not.toBe(later);
    expect(events.filter((event) => event.type === 'auth')).toMatchObject([
      { outcome: 'success', action: 'POST /mcp' },
    ]);
  });

  it('still refuses a credential no authenticator accepts, and records each refusal', async () => {
    const { authenticate, events } = setup(undefined);
    await authenticate();
    const credentials: Array<Record<string, string>> = [
      { authorization: 'Bearer abc' },
      { 'x-api-key': 'k' },
    ];
    for (const headers of credentials) {
      const outcome = authenticate(headers);
      expect(isThenable(outcome)).toBe(true);
      expect(((await outcome) as Response).status).toBe(401);
    }
    expect(events.map((event) => event.outcome)).toEqual(['success', 'failure', 'failure']);
  });

  it('records every success when the interval is 0', async () => {
    const { authenticate, events } = setup(undefined, 0);
    for (let call = 0; call < 3; call += 1) {
      const outcome = authenticate();
      expect(isThenable(outcome)).toBe(true);
      expect(await outcome).toMatchObject({ subject: 'anonymous' });
    }
    expect(events).toHaveLength(3);
  });

  it('asks the configured authenticators when there are some', async () => {
    const key = generateApiKey();
    const { authenticate } = setup({
      anonymous: true,
      apiKeys: [{ hash: await hashApiKey(key), subject: 'ci-bot' }],
    });
    expect(await authenticate()).toMatchObject({ subject: 'anonymous' });
    expect(isThenable(authenticate())).toBe(true);
    expect(((await authenticate({ 'x-api-key': key })) as Principal).subject).toBe('ci-bot');
    expect(((await authenticate({ 'x-api-key': 'wrong' })) as Response).status).toBe(401);
  });
});
