/**
 * What the conformance fixture lists: tools (with their raw input schemas), prompts, resources
 * and resource templates, named exactly as the official suite (0.1.16) calls them.
 */
import type { Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/server';
import { FIXTURE_URIS, JSON_SCHEMA_2020_12_INPUT_SCHEMA } from './fixture-content.js';

const noArguments = { type: 'object', properties: {} } as const;

/** The fixture's tool list (tools/list returns it verbatim, raw JSON Schemas included). */
export const FIXTURE_TOOLS: Tool[] = [
  {
    name: 'test_simple_text',
    description: 'Tests simple text content response',
    inputSchema: noArguments,
  },
  {
    name: 'test_image_content',
    description: 'Tests image content response',
    inputSchema: noArguments,
  },
  {
    name: 'test_audio_content',
    description: 'Tests audio content response',
    inputSchema: noArguments,
  },
  {
    name: 'test_embedded_resource',
    description: 'Tests embedded resource content response',
    inputSchema: noArguments,
  },
  {
    name: 'test_multiple_content_types',
    description: 'Tests response with multiple content types (text, image, resource)',
    inputSchema: noArguments,
  },
  {
    name: 'test_tool_with_logging',
    description: 'Tests tool that emits log messages during execution',
    inputSchema: noArguments,
  },
  {
    name: 'test_tool_with_progress',
    description: 'Tests tool that reports progress notifications',
    inputSchema: noArguments,
  },
  {
    name: 'test_error_handling',
    description: 'Tests error response handling',
    inputSchema: noArguments,
  },
  {
    name: 'test_reconnection',
    description:
      'Tests SSE stream disconnection and client reconnection (SEP-1699). Server will close the stream mid-call and send the result after client reconnects.',
    inputSchema: noArguments,
  },
  {
    name: 'test_sampling',
    description: 'Tests server-initiated sampling (LLM completion request)',
    inputSchema: {
      type: 'object',
      properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
      required: ['prompt'],
    },
  },
  {
    name: 'test_elicitation',
    description: 'Tests server-initiated elicitation (user input request)',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string', description: 'The message to show the user' } },
      required: ['message'],
    },
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Tests elicitation with default values per SEP-1034',
    inputSchema: noArguments,
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Tests elicitation with enum schema improvements per SEP-1330',
    inputSchema: noArguments,
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)',
    inputSchema: JSON_SCHEMA_2020_12_INPUT_SCHEMA as unknown as Tool['inputSchema'],
  },
];

/** The fixture's prompts (prompts/list). */
export const FIXTURE_PROMPTS: Prompt[] = [
  {
    name: 'test_simple_prompt',
    title: 'Simple Test Prompt',
    description: 'A simple prompt without arguments',
  },
  {
    name: 'test_prompt_with_arguments',
    title: 'Prompt With Arguments',
    description: 'A prompt with required arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
  },
  {
    name: 'test_prompt_with_embedded_resource',
    title: 'Prompt With Embedded Resource',
    description: 'A prompt that includes an embedded resource',
    arguments: [
      { name: 'resourceUri', description: 'URI of the resource to embed', required: true },
    ],
  },
  {
    name: 'test_prompt_with_image',
    title: 'Prompt With Image',
    description: 'A prompt that includes image content',
  },
];

/** The fixture's direct resources (resources/list). */
export const FIXTURE_RESOURCES: Resource[] = [
  {
    uri: FIXTURE_URIS.staticText,
    name: 'static-text',
    title: 'Static Text Resource',
    description: 'A static text resource for testing',
    mimeType: 'text/plain',
  },
  {
    uri: FIXTURE_URIS.staticBinary,
    name: 'static-binary',
    title: 'Static Binary Resource',
    description: 'A static binary resource (image) for testing',
    mimeType: 'image/png',
  },
  {
    uri: FIXTURE_URIS.watched,
    name: 'watched-resource',
    title: 'Watched Resource',
    description: 'A resource clients can subscribe to',
    mimeType: 'text/plain',
  },
];

/** The fixture's resource templates (resources/templates/list). */
export const FIXTURE_RESOURCE_TEMPLATES: ResourceTemplateType[] = [
  {
    uriTemplate: FIXTURE_URIS.template,
    name: 'template',
    title: 'Resource Template',
    description: 'A resource template with parameter substitution',
    mimeType: 'application/json',
  },
];
