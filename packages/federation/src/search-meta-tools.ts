/**
 * The two meta-tools of tool search (`exposure: 'search'`): `find_tools`, whose description names
 * the servers and tool counts behind it (agents skip a search tool that does not say what it
 * finds), and `call_tool`. Their names are reserved: unprefixed, and in a session that gets them
 * they take the place of any upstream tool of the same name (an upstream with `prefix: false`).
 */
import type { Tool } from '@modelcontextprotocol/server';

/** The name of the search meta-tool. */
export const FIND_TOOLS = 'find_tools';
/** The name of the meta-tool that calls a tool found by search. */
export const CALL_TOOL = 'call_tool';
/** The reserved names of the meta-tools. */
export const META_TOOL_NAMES: ReadonlySet<string> = new Set([FIND_TOOLS, CALL_TOOL]);

/** How many hits `find_tools` returns when the caller does not say. */
export const DEFAULT_FIND_LIMIT = 5;
/** The most hits `find_tools` returns. */
export const MAX_FIND_LIMIT = 50;
/** Servers named one by one in `find_tools`' description; the rest are counted. */
const NAMED_SERVERS = 20;

/** What is behind the search of one session: tools per upstream, most first. */
export interface SearchSummary {
  total: number;
  servers: Array<{ id: string; tools: number }>;
}

function describeServers(summary: SearchSummary): string {
  const named = summary.servers
    .slice(0, NAMED_SERVERS)
    .map(({ id, tools }) => `${id} (${tools} tool${tools === 1 ? '' : 's'})`);
  const rest = summary.servers.length - named.length;
  return rest > 0 ? `${named.join(', ')} and ${rest} more servers` : named.join(', ');
}

/** The meta-tools' definitions for a session whose search holds `summary`. */
export function metaToolDefinitions(summary: SearchSummary): Tool[] {
  const servers = describeServers(summary);
  return [
    {
      name: FIND_TOOLS,
      title: 'Find tools',
      description:
        `Search ${summary.total} more tools that are not listed here, from ${servers}. ` +
        'Describe what you want to do in a few words (e.g. "add two numbers", "create an issue ' +
        'in a repository"); returns the best matching tools, best first, with their full ' +
        `definitions (name, description, input schema). Call one with ${CALL_TOOL}. If none ` +
        'fits, search again with other words.',
      inputSchema: {
        type: 'object',
        properties: {
          query: {
            type: 'string',
            description: 'What you want to do, or words from the tool you need.',
          },
          limit: {
            type: 'integer',
            minimum: 1,
            maximum: MAX_FIND_LIMIT,
            default: DEFAULT_FIND_LIMIT,
            description: 'Most tools to return.',
          },
          servers: {
            type: 'array',
            items: { type: 'string' },
            description: 'Only search the tools of these servers.',
          },
        },
        required: ['query'],
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    {
      name: CALL_TOOL,
      title: 'Call a found tool',
      description:
        `Call a tool that ${FIND_TOOLS} returned, by its exact name, with arguments that match ` +
        "its input schema. Returns that tool's result. The same rules apply as to calling the " +
        'tool directly (access policy, consent).',
      inputSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', description: `The tool's name, as ${FIND_TOOLS} returned it.` },
          arguments: {
            type: 'object',
            description: "The tool's arguments, per its input schema.",
            additionalProperties: true,
          },
        },
        required: ['name'],
      },
    },
  ];
}
