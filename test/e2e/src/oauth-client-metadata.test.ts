/**
 * Issue 21: the hub serves its own Client ID Metadata Document (MCP authorization 2025-11-25;
 * draft-ietf-oauth-client-id-metadata-document) at `<hub.url origin>/oauth/client-metadata.json`,
 * and uses that URL as its client id at an authorization server that advertises
 * `client_id_metadata_document_supported`, when the upstream names no pre-registered client. The
 * hub serves TLS (client id URLs are https); `oidc-provider` fetches the document from the hub
 * during a user's sign-in and accepts the hub as that client — no Dynamic Client Registration.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { createTestCertificates } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import {
  fetchTrusting,
  signIn,
  startAuthorizationServer,
  startProtectedUpstream,
} from './fixtures/oauth-upstream.js';

const key = `fmk_${randomBytes(32).toString('base64url')}`;
const hash = `sha256:${createHash('sha256').update(key).digest('base64url')}`;

describe("the hub's client metadata document", () => {
  it('is fetched by the authorization server and used as the client id, instead of DCR', async () => {
    const pki = await createTestCertificates();
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-oauth-cimd-'));
    try {
      const trusting = fetchTrusting(pki.caCert);
      await using authorizationServer = await startAuthorizationServer({
        clientMetadataFetch: trusting,
      });
      await using upstream = await startProtectedUpstream(authorizationServer.issuer);
      // The authorization server says it takes metadata documents as client ids.
      const metadata = (await (
        await fetch(`${authorizationServer.issuer}/.well-known/openid-configuration`)
      ).json()) as { client_id_metadata_document_supported?: boolean };
      expect(metadata.client_id_metadata_document_supported).toBe(true);

      const config = parseConfig(
        {
          hub: {
            host: '127.0.0.1',
            port: 0,
            dataDir: directory,
            tls: { cert: pki.serverCertFile, key: pki.serverKeyFile },
          },
          store: 'memory:',
          runtime: false,
          auth: { apiKeys: [{ hash, subject: 'alice' }] },
          mcpServers: {
            docs: { url: upstream.url, isolation: 'per-principal', oauth: { mode: 'user' } },
          },
        },
        join(directory, 'fedmcp.config.json'),
        { env: {} },
      );
      await using server = await createFedmcpServer({ config, baseDirectory: directory });
      const { url } = await server.listen();
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const documentUrl = `${url}/oauth/client-metadata.json`;

      // The document, as anyone may fetch it.
      const document = await (await trusting(documentUrl)).json();
      expect(document).toEqual({
        client_id: documentUrl,
        client_name: 'fedmcp',
        redirect_uris: [`${url}/oauth/callback`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      });

      const client = new Client({ name: 'cimd-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
          fetch: trusting,
          requestInit: { headers: { 'x-api-key': key } },
        }),
      );
      try {
        const whoami = () =>
          client
            .callTool({ name: 'docs__whoami', arguments: {} })
            .then((result) => (result.content as { text: string }[])[0]?.text);
        const refused = (await whoami().then(
          () => undefined,
          (error: unknown) => error,
        )) as { code?: number; data?: { elicitations?: { url: string }[] } } | undefined;
        expect(refused?.code).toBe(-32042);
        const authorizationUrl = new URL(refused?.data?.elicitations?.[0]?.url ?? '');
        // The client id is the document's URL: no registration happened.
        expect(authorizationUrl.searchParams.get('client_id')).toBe(documentUrl);
        const signedIn = await signIn(
          authorizationUrl.href,
          'alice',
          `${url}/oauth/callback`,
          trusting,
        );
        expect(signedIn.status).toBe(200);
        // The authorization server read the document from the hub.
        expect(authorizationServer.fetchedClientMetadata).toContain(documentUrl);
        expect(await whoami()).toBe('subject=alice');
      } finally {
        await client.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
      await pki.remove();
    }
  }, 120_000);
});
