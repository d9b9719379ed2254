import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as protocol from './index.js';

describe('@fedmcp/protocol', () => {
  it('exports exactly the reviewed API', () => {
    expect(Object.keys(protocol).sort()).toMatchInlineSnapshot(`
      [
        "ActorClaimSchema",
        "CanceledError",
        "ConsentRequiredError",
        "DEFAULT_EXPOSED_NAME_MAX_LENGTH",
        "DEFAULT_HUB_URI_SCHEME",
        "DEFAULT_MAX_HOPS",
        "DISCOVERY_DOCUMENT_PATH",
        "DiscoveryDocumentSchema",
        "DiscoveryTransportSchema",
        "FEDMCP_ERROR_BRAND",
        "FEDMCP_ERROR_CODES",
        "FEDMCP_META_PREFIX",
        "FEDMCP_PROTOCOL_VERSIONS",
        "FEDMCP_VERSION",
        "FedmcpError",
        "HOP_TRAIL_META_KEY",
        "HopTrailSchema",
        "HubIdSchema",
        "InvalidConfigError",
        "InvalidRequestError",
        "LoopDetectedError",
        "MCP_TOOL_NAME_MAX_LENGTH",
        "MCP_TOOL_NAME_PATTERN",
        "NAMESPACE_PREFIX_PATTERN",
        "NAMESPACE_SEPARATOR",
        "NotFoundError",
        "ON_BEHALF_OF_META_KEY",
        "ORIGIN_META_KEY",
        "OnBehalfOfSchema",
        "OriginSchema",
        "PEER_TOKEN_MAX_LIFETIME_SECONDS",
        "PeerTokenClaimsSchema",
        "PolicyDeniedError",
        "RateLimitedError",
        "RequestTimeoutError",
        "TRACEPARENT_META_KEY",
        "TRACESTATE_META_KEY",
        "TraceparentSchema",
        "TracestateSchema",
        "TransportClosedError",
        "UnauthenticatedError",
        "UpstreamUnavailableError",
        "actorChain",
        "appendHop",
        "assertNamespacePrefix",
        "canonicalJson",
        "checkHopTrail",
        "childLogger",
        "createChildTraceparent",
        "createNameTable",
        "createNamespaceCodec",
        "createResourceUriTable",
        "createSpanId",
        "createTraceparent",
        "deriveClusterKey",
        "extendOrigin",
        "fedmcpCodeForJsonRpcCode",
        "fromBase64Url",
        "fromHubResourceUri",
        "httpStatusFor",
        "isFedmcpErrorCode",
        "isHubResourceUri",
        "isValidMcpToolName",
        "isValidNamespacePrefix",
        "isValidTraceparent",
        "isValidTracestate",
        "jsonRpcCodeFor",
        "openClusterText",
        "parseDiscoveryDocument",
        "parseTraceparent",
        "readBodyBytes",
        "readHopTrail",
        "readMetaValue",
        "readOnBehalfOf",
        "readOrigin",
        "readTraceContext",
        "recordHop",
        "sanitizeMcpToolName",
        "sealClusterText",
        "silentLogger",
        "toBase64Url",
        "toHubResourceUri",
        "toHubResourceUriTemplate",
        "toNamespaceId",
        "validateMcpToolName",
        "withChildSpan",
        "withOnBehalfOf",
        "withOrigin",
        "withTraceContext",
        "writeMetaValue",
      ]
    `);
  });

  it('uses web-standard APIs only (runs on Node, Deno and Workers)', () => {
    const directory = new URL('./', import.meta.url);
    const sources = readdirSync(directory).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    expect(sources.length).toBeGreaterThan(10);
    for (const file of sources) {
      const text = readFileSync(new URL(file, directory), 'utf8');
      expect({ file, nodeImport: /from ['"]node:|require\(/.test(text) }).toEqual({
        file,
        nodeImport: false,
      });
      expect({ file, nodeGlobal: /\bprocess\.|\bBuffer\b|\bsetImmediate\b/.test(text) }).toEqual({
        file,
        nodeGlobal: false,
      });
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((match) => match[1]);
      for (const specifier of imports) {
        expect(specifier).toMatch(/^(\.\/[a-z0-9-]+\.js|zod|@modelcontextprotocol\/core)$/);
      }
    }
  });
});
