/**
 * An upstream's lists as it declares them: tools, prompts, resources and resource templates,
 * each drained over every page (the SDK client pages), bypassing the client's cache.
 */
import type { Client } from '@modelcontextprotocol/client';
import type {
  Prompt,
  Resource,
  ResourceTemplateType,
  ServerCapabilities,
  Tool,
} from '@modelcontextprotocol/server';

/** The raw lists of an upstream. */
export interface UpstreamLists {
  tools: Tool[];
  prompts: Prompt[];
  resources: Resource[];
  templates: ResourceTemplateType[];
}

/** Loads the lists `capabilities` declares from `client`. */
export async function loadUpstreamLists(
  client: Client,
  capabilities: ServerCapabilities,
  timeoutMs: number,
): Promise<UpstreamLists> {
  const options = { timeout: timeoutMs, cacheMode: 'bypass' as const };
  const [tools, prompts, resources, templates] = await Promise.all([
    capabilities.tools ? client.listTools(undefined, options).then((r) => r.tools) : [],
    capabilities.prompts ? client.listPrompts(undefined, options).then((r) => r.prompts) : [],
    capabilities.resources ? client.listResources(undefined, options).then((r) => r.resources) : [],
    capabilities.resources
      ? client
          .listResourceTemplates(undefined, options)
          .then((r) => r.resourceTemplates)
          .catch(() => [])
      : [],
  ]);
  return { tools, prompts, resources, templates };
}
