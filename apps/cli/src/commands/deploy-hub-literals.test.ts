// Which strings of the bundled definition are credentials written literally, by config path.
import { describe, expect, it } from 'vitest';
import { findLiteralCredentials, refuseLiteralCredentials } from './deploy-hub-literals.js';

describe('literal credentials in the deploy definition', () => {
  it('names literal credentials by their config path, and passes references and non-secrets', () => {
    const found = findLiteralCredentials({
      upstreams: {
        docs: {
          url: 'https://docs.example.com/mcp',
          headers: {
            authorization: 'Bearer abc123literal',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
            'x-api-key': '${secret:DOCS_KEY}',
            accept: 'application/json',
          },
          tokenExchange: {
            tokenEndpoint: 'https://auth.example.com/token',
            subjectTokenType: 'urn:ietf:params:oauth:token-type:access_token',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
            clientSecret: '${EXCHANGE_SECRET}',
          },
          maxTokens: 100,
        },
      },
      store: 'postgres://hub:hunter2@db.example.com/hub',
      tasks: { callbacks: { secret: 'whsec_literalliteralliteralliteral', allowedUrls: [] } },
      auth: { oauth: [{ issuer: 'https://a.example.com/', sharedSecret: 'x'.repeat(32) }] },
      peers: { other: { tokens: ['plain-token'] } },
    });
    expect(found).toEqual([
      'mcpServers.docs.headers.authorization',
      'store',
      'hub.tasks.callbacks.secret',
      'auth.oauth[0].sharedSecret',
      'peers.other.tokens[0]',
    ]);
  });

  it('passes a URL whose password is a reference', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
    expect(findLiteralCredentials({ store: 'postgres://hub:${DB_PASSWORD}@db/hub' })).toEqual([]);
  });

  it('refuses with a message naming the key and the way out, unless allowed', () => {
    const definition = {
      upstreams: { docs: { headers: { authorization: 'Bearer zzz-literal' } } },
    };
    expect(() => refuseLiteralCredentials(definition, false)).toThrow(
      /mcpServers\.docs\.headers\.authorization.*\$\{secret:NAME\}.*--allow-literal-secrets/s,
    );
    expect(() => refuseLiteralCredentials(definition, true)).not.toThrow();
  });
});
