/**
 * The resource side of namespacing: prefixed URIs map through the stateless
 * {@link toHubResourceUri} / {@link fromHubResourceUri} pair (any URI routes back, also on another
 * replica or after a restart); pass-through URIs (`prefix: false`) are exposed unchanged and
 * routed back through this table, by exact URI or by the literal start of a registered template.
 */
import { assertNamespacePrefix } from './namespace-prefix.js';
import { NotFoundError } from './not-found-error.js';
import {
  fromHubResourceUri,
  isHubResourceUri,
  type ResourceUriOptions,
  toHubResourceUri,
  toHubResourceUriTemplate,
  type UpstreamResourceUri,
} from './resource-uri.js';

/** Options of {@link createResourceUriTable}. */
export interface ResourceUriTableOptions extends ResourceUriOptions {
  /**
   * Whether URIs are mapped to `<scheme>://<upstreamId>/…`. `false` exposes them unchanged
   * (pass-through); can be overridden per call.
   * @default true
   */
  prefix?: boolean;
}

/** Options of {@link ResourceUriTable.encode} and {@link ResourceUriTable.encodeTemplate}. */
export interface EncodeResourceUriOptions {
  /**
   * Whether to map the URI into the hub's scheme. With `false` the URI is exposed unchanged,
   * unless another upstream already exposes it or it looks like a hub URI; then it is mapped.
   * @default the table's `prefix` option
   */
  prefix?: boolean;
}

/** A two-way mapping of resource URIs. See {@link createResourceUriTable}. */
export interface ResourceUriTable {
  /**
   * The URI clients see for an upstream's resource URI.
   * @throws {InvalidConfigError} when `upstreamId` is invalid.
   */
  encode(upstreamId: string, uri: string, options?: EncodeResourceUriOptions): string;
  /** The URI template clients see for an upstream's resource template. */
  encodeTemplate(
    upstreamId: string,
    uriTemplate: string,
    options?: EncodeResourceUriOptions,
  ): string;
  /**
   * The upstream and its URI behind a URI a client sent.
   * @throws {NotFoundError} when no upstream owns the URI.
   */
  decode(hubUri: string): UpstreamResourceUri;
  /** Like `decode`, but returns `undefined` when no upstream owns the URI. */
  lookup(hubUri: string): UpstreamResourceUri | undefined;
  /** Forgets the pass-through URIs and templates of an upstream. */
  forgetUpstream(upstreamId: string): void;
}

interface PassThroughTemplate {
  upstreamId: string;
  literalStart: string;
}

/**
 * Creates the resource URI mapping of a hub.
 *
 * @example
 * ```ts
 * const resources = createResourceUriTable();
 * const hubUri = resources.encode('github', 'file:///README.md'); // 'fedmcp://github/file:///README.md'
 * resources.decode(hubUri); // { upstreamId: 'github', uri: 'file:///README.md' }
 * ```
 */
export function createResourceUriTable(options: ResourceUriTableOptions = {}): ResourceUriTable {
  const uriOptions: ResourceUriOptions = { scheme: options.scheme };
  const defaultPrefix = options.prefix ?? true;
  const passThroughUris = new Map<string, string>();
  const passThroughTemplates = new Map<string, PassThroughTemplate>();
  // Fail early on a bad scheme.
  isHubResourceUri('', uriOptions);

  function lookup(hubUri: string): UpstreamResourceUri | undefined {
    const exact = passThroughUris.get(hubUri);
    if (exact !== undefined) return { upstreamId: exact, uri: hubUri };
    if (isHubResourceUri(hubUri, uriOptions)) return fromHubResourceUri(hubUri, uriOptions);
    let best: PassThroughTemplate | undefined;
    for (const template of passThroughTemplates.values()) {
      if (!hubUri.startsWith(template.literalStart)) continue;
      if (best === undefined || template.literalStart.length > best.literalStart.length) {
        best = template;
      }
    }
    return best === undefined ? undefined : { upstreamId: best.upstreamId, uri: hubUri };
  }

  return {
    encode(upstreamId, uri, encodeOptions = {}) {
      assertNamespacePrefix(upstreamId);
      if (encodeOptions.prefix ?? defaultPrefix)
        return toHubResourceUri(upstreamId, uri, uriOptions);
      const owner = passThroughUris.get(uri);
      if (owner === upstreamId) return uri;
      if (owner !== undefined || isHubResourceUri(uri, uriOptions)) {
        // Taken by another upstream, or would be read as a hub URI: map it instead.
        return toHubResourceUri(upstreamId, uri, uriOptions);
      }
      passThroughUris.set(uri, upstreamId);
      return uri;
    },

    encodeTemplate(upstreamId, uriTemplate, encodeOptions = {}) {
      assertNamespacePrefix(upstreamId);
      if (encodeOptions.prefix ?? defaultPrefix) {
        return toHubResourceUriTemplate(upstreamId, uriTemplate, uriOptions);
      }
      const brace = uriTemplate.indexOf('{');
      const literalStart = brace === -1 ? uriTemplate : uriTemplate.slice(0, brace);
      const owner = passThroughTemplates.get(literalStart);
      if (owner?.upstreamId === upstreamId) return uriTemplate;
      if (
        owner !== undefined ||
        literalStart.length === 0 ||
        isHubResourceUri(literalStart, uriOptions) ||
        literalStart.toLowerCase().startsWith(`${options.scheme ?? 'fedmcp'}:`.toLowerCase())
      ) {
        return toHubResourceUriTemplate(upstreamId, uriTemplate, uriOptions);
      }
      passThroughTemplates.set(literalStart, { upstreamId, literalStart });
      return uriTemplate;
    },

    decode(hubUri) {
      const found = lookup(hubUri);
      if (found === undefined) {
        throw new NotFoundError({
          kind: 'resource',
          name: hubUri,
          message: `Unknown resource "${hubUri}": no upstream exposes it. List the resources (and resource templates) and use one of their URIs.`,
        });
      }
      return found;
    },

    lookup,

    forgetUpstream(upstreamId) {
      for (const [uri, owner] of passThroughUris) {
        if (owner === upstreamId) passThroughUris.delete(uri);
      }
      for (const [literalStart, template] of passThroughTemplates) {
        if (template.upstreamId === upstreamId) passThroughTemplates.delete(literalStart);
      }
    },
  };
}
