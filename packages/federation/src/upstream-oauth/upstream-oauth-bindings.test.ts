// The hub's upstream OAuth bindings: a connection that would need the operator's login is refused
// with how to log in (locally, or through the deployed hub), or what works where there is none;
// it never reaches the upstream.
import {
  createEncryptedOAuthCredentialStore,
  generateOAuthCredentialKey,
  upstreamOAuthConfigSchema,
} from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { describe, expect, it } from 'vitest';
import { createUpstreamOAuth } from './upstream-oauth-bindings.js';

const url = 'https://docs.example.com/mcp';

function bindings(mode: 'hub' | 'user', operatorLogin?: boolean | 'remote') {
  const { kv } = createMemoryStore();
  return createUpstreamOAuth({
    upstreams: () => [{ id: 'docs', url, oauth: upstreamOAuthConfigSchema.parse({ mode }) }],
    kv,
    openStore: async () =>
      createEncryptedOAuthCredentialStore({ store: kv, key: generateOAuthCredentialKey() }),
    redirectUrl: () => 'https://hub.example.com/oauth/callback',
    ...(operatorLogin === undefined ? {} : { operatorLogin }),
  });
}

const refusal = async (mode: 'hub' | 'user', operatorLogin?: boolean | 'remote') => {
  const binding = bindings(mode, operatorLogin).oauthFor({ url });
  return binding?.authorize(new URL('https://as.example.com/authorize')).then(
    () => 'authorized',
    (error: Error) => error.message,
  );
};

describe('createUpstreamOAuth refusals', () => {
  it('names the operator login where there is one', async () => {
    expect(await refusal('hub')).toMatch(/an operator runs `fedmcp auth login docs` once/);
    expect(await refusal('user')).toMatch(/`fedmcp auth login docs` once so the hub can list/);
  });

  it('names what works instead where there is none (the edge hub)', async () => {
    expect(await refusal('hub', false)).toMatch(
      /no operator login; use the "client_credentials" grant or "mode": "user"/,
    );
    expect(await refusal('user', false)).toMatch(/no operator login to list its catalog with/);
  });

  it('names the login through the hub where that is how (the deployed hub)', async () => {
    expect(await refusal('hub', 'remote')).toMatch(
      /an operator runs `fedmcp auth login docs --hub <this hub's URL>` once/,
    );
    expect(await refusal('user', 'remote')).toMatch(
      /--hub <this hub's URL>` once so the hub can list/,
    );
  });
});
