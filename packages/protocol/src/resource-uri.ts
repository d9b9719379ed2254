/**
 * Resource URI mapping between an upstream and the hub.
 *
 * Scheme: `<scheme>://<upstreamId>/<upstream URI>` (scheme `fedmcp` by default).
 * - When the upstream URI is already a valid absolute URI whose characters are all allowed in a
 *   path, query and fragment (RFC 3986 §3.3–3.5: no `[`/`]`, no space or non-ASCII, one `#` at
 *   most, well-formed `%XX`), it is appended **verbatim**:
 *   `file:///README.md` → `fedmcp://github/file:///README.md`. Its `?` and `#` become the hub URI's
 *   query and fragment, which keeps the hub URI valid, readable, and lets resource templates map
 *   the same way (`fedmcp://github/file:///{path}` expands to a URI that maps back exactly).
 * - Anything else (non-ASCII, spaces, relative references, two `#`, broken `%` escapes, the empty
 *   string) is **escaped**: `~` followed by the URI percent-encoded (UTF-8) except for
 *   `A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ /`. The `~` cannot start a scheme, so the two
 *   forms never overlap.
 * Both forms are valid RFC 3986 URIs and map back to the upstream URI unchanged. A peer's hub URI
 * is itself a valid URI, so nesting just stacks: `fedmcp://eu/fedmcp://github/file:///README.md`.
 * Hub URIs are opaque: clients must not normalise them (for example remove dot segments).
 */
import { InvalidConfigError } from './invalid-config-error.js';
import { InvalidRequestError } from './invalid-request-error.js';
import { isValidNamespacePrefix } from './namespace-prefix.js';
import { NotFoundError } from './not-found-error.js';

/** The scheme of hub resource URIs unless configured otherwise. */
export const DEFAULT_HUB_URI_SCHEME = 'fedmcp';

/** Options shared by the resource URI functions. */
export interface ResourceUriOptions {
  /**
   * The scheme of hub resource URIs (RFC 3986 §3.1 syntax).
   * @default 'fedmcp'
   */
  scheme?: string;
}

/** An upstream and the URI it knows a resource by. */
export interface UpstreamResourceUri {
  /** The upstream (or peer hub) id. */
  upstreamId: string;
  /** The resource URI as the upstream knows it. */
  uri: string;
}

const SCHEME_PATTERN = /^[A-Za-z][A-Za-z0-9+.-]*$/;
// RFC 3986: an absolute URI whose remaining characters are all pchar / "/" / "?" / "#" with at
// most one "#". Percent signs must start a %XX triplet.
const VERBATIM_PATTERN =
  /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/;
const ESCAPE_MARKER = '~';
const NOT_KEPT_WHEN_ESCAPING = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/gu;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function schemeOf(options: ResourceUriOptions): string {
  const scheme = options.scheme ?? DEFAULT_HUB_URI_SCHEME;
  if (!SCHEME_PATTERN.test(scheme)) {
    throw new InvalidConfigError({
      path: 'scheme',
      reason: `${JSON.stringify(scheme)} is not a URI scheme: use a letter followed by letters, digits, "+", "-" or "."`,
    });
  }
  return scheme.toLowerCase();
}

function assertUpstreamId(upstreamId: string): void {
  if (!isValidNamespacePrefix(upstreamId)) {
    throw new InvalidConfigError({
      path: 'upstreamId',
      reason: `${JSON.stringify(upstreamId)} is not a valid upstream id: use 1 to 32 characters from a-z, 0-9 and "-", starting with a letter or digit`,
    });
  }
}

/**
 * Encodes an upstream URI (or any string) into the path part of a hub URI: verbatim when it is
 * already a valid absolute URI, else `~` + percent-encoding. Used for URIs and, with `template`,
 * for URI templates (whose `{…}` expressions must stay intact).
 */
function encodeUpstreamUri(uri: string): string {
  if (VERBATIM_PATTERN.test(uri)) return uri;
  if (LONE_SURROGATE.test(uri)) {
    throw new InvalidRequestError({
      reason: `the resource URI ${JSON.stringify(uri)} contains a lone UTF-16 surrogate, which no URI can carry`,
    });
  }
  return (
    ESCAPE_MARKER +
    uri.replace(NOT_KEPT_WHEN_ESCAPING, (character) => encodeURIComponent(character))
  );
}

/**
 * Maps an upstream's resource URI to the hub URI clients see. Works for any string; the result is
 * always a valid RFC 3986 URI, and {@link fromHubResourceUri} gives back the upstream URI unchanged.
 *
 * @throws {InvalidConfigError} when `upstreamId` or `scheme` is invalid.
 * @throws {InvalidRequestError} when `uri` contains a lone UTF-16 surrogate.
 * @example
 * ```ts
 * toHubResourceUri('github', 'file:///README.md'); // 'fedmcp://github/file:///README.md'
 * toHubResourceUri('notes', 'note://café/1'); // 'fedmcp://notes/~note://caf%C3%A9/1'
 * ```
 */
export function toHubResourceUri(
  upstreamId: string,
  uri: string,
  options: ResourceUriOptions = {},
): string {
  assertUpstreamId(upstreamId);
  return `${schemeOf(options)}://${upstreamId}/${encodeUpstreamUri(uri)}`;
}

/**
 * Maps an upstream's resource URI template (RFC 6570) to the hub's. The template is appended
 * verbatim, so a client's expansion of the hub template maps back (with
 * {@link fromHubResourceUri}) to the upstream's own expansion — as long as the expansion is an
 * absolute URI, which MCP requires of resource URIs.
 *
 * @throws {InvalidConfigError} when `upstreamId` or `scheme` is invalid.
 * @example
 * ```ts
 * toHubResourceUriTemplate('github', 'repo://{owner}/{name}'); // 'fedmcp://github/repo://{owner}/{name}'
 * ```
 */
export function toHubResourceUriTemplate(
  upstreamId: string,
  uriTemplate: string,
  options: ResourceUriOptions = {},
): string {
  assertUpstreamId(upstreamId);
  return `${schemeOf(options)}://${upstreamId}/${uriTemplate}`;
}

/** Returns true when `uri` has the shape of a hub resource URI of this scheme. */
export function isHubResourceUri(uri: string, options: ResourceUriOptions = {}): boolean {
  return parseHubResourceUri(uri, schemeOf(options)) !== undefined;
}

function parseHubResourceUri(uri: string, scheme: string): UpstreamResourceUri | undefined {
  const start = `${scheme}://`;
  // RFC 3986 §3.1: schemes are case-insensitive.
  if (uri.slice(0, start.length).toLowerCase() !== start) return undefined;
  const slash = uri.indexOf('/', start.length);
  if (slash === -1) return undefined;
  const upstreamId = uri.slice(start.length, slash);
  if (!isValidNamespacePrefix(upstreamId)) return undefined;
  const encoded = uri.slice(slash + 1);
  if (!encoded.startsWith(ESCAPE_MARKER)) return { upstreamId, uri: encoded };
  try {
    return { upstreamId, uri: decodeURIComponent(encoded.slice(ESCAPE_MARKER.length)) };
  } catch {
    return undefined;
  }
}

/**
 * Maps a hub resource URI back to its upstream and the upstream's URI, exactly as it was before
 * {@link toHubResourceUri}.
 *
 * @throws {NotFoundError} `NOT_FOUND` when `hubUri` is not a hub resource URI of this scheme.
 * @example
 * ```ts
 * fromHubResourceUri('fedmcp://github/file:///README.md');
 * // { upstreamId: 'github', uri: 'file:///README.md' }
 * ```
 */
export function fromHubResourceUri(
  hubUri: string,
  options: ResourceUriOptions = {},
): UpstreamResourceUri {
  const scheme = schemeOf(options);
  const parsed = parseHubResourceUri(hubUri, scheme);
  if (parsed === undefined) {
    throw new NotFoundError({
      kind: 'resource',
      name: hubUri,
      message: `Unknown resource "${hubUri}": it is not a hub resource URI (${scheme}://<upstream-id>/<upstream URI>). List the resources and use one of their URIs.`,
    });
  }
  return parsed;
}
