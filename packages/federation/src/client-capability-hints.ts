/**
 * Tools that can only work with a client capability: an upstream registers some tools only
 * because the hub declared sampling, elicitation or roots upstream (server-everything's
 * `trigger-sampling-request`, `trigger-elicitation-request`, `get-roots-list`), and a client
 * without that capability can never use them through the hub. An upstream marks such a tool with
 * the `_meta` key {@link REQUIRES_CLIENT_CAPABILITIES_META} (or the operator lists it in
 * `UpstreamOptions.requiresClientCapabilities`), and the hub leaves it out of the `tools/list`
 * answers of clients that lack one of the capabilities.
 */
import type { ClientCapabilities, Tool } from '@modelcontextprotocol/server';

/**
 * The tool `_meta` key naming the client capabilities a tool needs:
 * `{ "io.fedmcp/requiresClientCapabilities": ["sampling"] }`. Values are top-level
 * `ClientCapabilities` keys (`sampling`, `elicitation`, `roots`, …); a dotted path
 * (`elicitation.url`, `sampling.tools`) names a nested one.
 */
export const REQUIRES_CLIENT_CAPABILITIES_META = 'io.fedmcp/requiresClientCapabilities';

/** The capabilities a tool says it needs (its `_meta` hint), as a list of capability paths. */
export function requiredCapabilitiesOf(tool: Pick<Tool, '_meta'>): string[] {
  const hint = tool._meta?.[REQUIRES_CLIENT_CAPABILITIES_META];
  return Array.isArray(hint)
    ? hint.filter((entry): entry is string => typeof entry === 'string')
    : [];
}

/**
 * A tool with the capabilities an operator listed for it (`UpstreamOptions.requiresClientCapabilities`)
 * merged into its `_meta` hint, so a hub further down a peer chain sees them too. The same object
 * when there is nothing to add.
 */
export function withRequiredCapabilities<T extends Pick<Tool, '_meta'>>(
  tool: T,
  configured: readonly string[] | undefined,
): T {
  if (!configured || configured.length === 0) return tool;
  const own = requiredCapabilitiesOf(tool);
  const merged = [...new Set([...own, ...configured])];
  if (merged.length === own.length) return tool;
  return { ...tool, _meta: { ...tool._meta, [REQUIRES_CLIENT_CAPABILITIES_META]: merged } };
}

/** Whether a client declared a capability path (`sampling`, `elicitation.url`). */
function declares(capabilities: ClientCapabilities, path: string): boolean {
  let value: unknown = capabilities;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value !== undefined && value !== null && value !== false;
}

/** Whether a client with `capabilities` can use a tool (it declared everything the tool needs). */
export function canUseTool(tool: Pick<Tool, '_meta'>, capabilities: ClientCapabilities): boolean {
  const required = requiredCapabilitiesOf(tool);
  return required.every((path) => declares(capabilities, path));
}
