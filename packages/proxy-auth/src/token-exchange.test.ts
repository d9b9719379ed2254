import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { authenticateRequest } from './authenticate-request.js';
import type { Principal } from './principal.js';
import { accessTokenOf } from './subject-token.js';
import { createTokenExchange, withTokenExchange } from './token-exchange.js';

/** A token endpoint behind an injected fetch: records the forms, answers with `answer`. */
function endpoint(answer: (form: URLSearchParams) => { status: number; body: unknown }) {
  const forms: URLSearchParams[] = [];
  const fetch = (async (_url: string | URL, init?: RequestInit) => {
    const form = new URLSearchParams(String(init?.body));
    forms.push(form);
    const { status, body } = answer(form);
    return new Response(JSON.stringify(body), { status });
  }) as typeof globalThis.fetch;
  return { forms, fetch };
}

const issued = (token: string, expiresIn = 60) => ({
  status: 200,
  body: {
    access_token: token,
    issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    token_type: 'Bearer',
    expires_in: expiresIn,
  },
});

describe('createTokenExchange', () => {
  it('sends an RFC 8693 request (client_secret_post here) and shares one exchange between concurrent callers', async () => {
    const { forms, fetch } = endpoint(() => issued('up-1'));
    const exchange = createTokenExchange({
      tokenEndpoint: 'https://as.example/token',
      clientId: 'hub',
      clientSecret: 'secret',
      clientAuthMethod: 'client_secret_post',
      audience: ['tickets'],
      resource: 'https://tickets.example/mcp',
      scope: ['read', 'write'],
      fetch,
    });
    const [first, second] = await Promise.all([
      exchange.token('alice', 'inbound'),
      exchange.token('alice', 'inbound'),
    ]);
    expect(first.accessToken).toBe('up-1');
    expect(second).toBe(first);
    expect(forms).toHaveLength(1);
    expect(Object.fromEntries(forms[0] ?? [])).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: 'inbound',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      audience: 'tickets',
      resource: 'https://tickets.example/mcp',
      scope: 'read write',
      client_id: 'hub',
      client_secret: 'secret',
    });
  });

  it('refuses a token endpoint over plain http off loopback (the caller’s token goes there)', () => {
    expect(() =>
      createTokenExchange({ tokenEndpoint: 'http://as.example/token', clientId: 'hub' }),
    ).toThrow(/must be an https URL/);
  });

  it('turns answers that are not a bearer token into UPSTREAM_UNAVAILABLE without the token', async () => {
    const { fetch } = endpoint(() => ({
      status: 200,
      body: { access_token: 'secret-up', issued_token_type: 'x', token_type: 'N_A' },
    }));
    const exchange = createTokenExchange({
      tokenEndpoint: 'https://as.example/token',
      clientId: 'hub',
      fetch,
    });
    const error = await exchange.token('alice', 'inbound').catch((caught: unknown) => caught);
    expect(FedmcpError.isInstance(error) && error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(String(error)).not.toMatch(/secret-up|inbound/);
  });

  it('exchanges again after an upstream 401 (withTokenExchange)', async () => {
    let n = 0;
    const { forms, fetch } = endpoint(() => issued(`up-${++n}`));
    const exchange = createTokenExchange({
      tokenEndpoint: 'https://as.example/token',
      clientId: 'hub',
      fetch,
    });
    const seen: string[] = [];
    const upstream = async (_url: string | URL, init?: RequestInit) => {
      const authorization = new Headers(init?.headers).get('authorization') ?? '';
      seen.push(authorization);
      return new Response(null, { status: authorization === 'Bearer up-1' ? 401 : 200 });
    };
    const send = withTokenExchange(upstream, {
      exchange,
      key: 'alice',
      subjectToken: () => 'inbound',
    });
    const response = await send('https://tickets.example/mcp', { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    expect(seen).toEqual(['Bearer up-1', 'Bearer up-2']);
    expect(forms).toHaveLength(2);
  });
});

describe('accessTokenOf', () => {
  it('keeps the bearer token of an OAuth principal, and none for others', async () => {
    const oauth: Principal = { subject: 'alice', groups: [], scopes: [], authMethod: 'oauth' };
    const peer: Principal = { subject: 'bob', groups: [], scopes: [], authMethod: 'peer' };
    const authenticate = (principal: Principal) =>
      authenticateRequest({ headers: { authorization: 'Bearer the-token' } }, [
        { method: principal.authMethod, authenticate: async () => principal },
      ]);
    expect(accessTokenOf(await authenticate(oauth))).toBe('the-token');
    expect(accessTokenOf(await authenticate(peer))).toBeUndefined();
    expect(JSON.stringify(oauth)).not.toContain('the-token');
  });
});
