/** A hub id derived from where the hub is reached. */
import { toNamespaceId } from '@fedmcp/protocol';

/**
 * The hub id of a hub reached at `url` when none is given: its host, and port when not the
 * default (`https://hub.example.com/mcp` → `hub-example-com`, `http://127.0.0.1:4000` →
 * `127-0-0-1-4000`), as a valid hub id (`[a-z0-9][a-z0-9-]{0,31}`): hub ids are namespace
 * prefixes, so a URL cannot be one.
 */
export function hubIdFromUrl(url: string): string {
  // A hub asks for its own id per 2026-07-28 request (one URL): parsed once (issue #18 profile).
  if (url === last?.url) return last.id;
  const parsed = new URL(url);
  const defaultPort =
    parsed.port === '' || parsed.port === (parsed.protocol === 'https:' ? '443' : '80');
  const id = hubIdSlug(defaultPort ? parsed.hostname : `${parsed.hostname}-${parsed.port}`);
  last = { url, id };
  return id;
}

let last: { url: string; id: string } | undefined;

// `name` as a hub id: unchanged when valid, else a slug of it.
function hubIdSlug(name: string): string {
  return toNamespaceId(name, 'hub');
}
