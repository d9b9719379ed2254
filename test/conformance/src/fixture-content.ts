/**
 * The exact names, payloads and texts the official conformance suite (0.1.16) expects from the
 * server under test — the contract of the conformance repo's reference `everything-server.ts`.
 * Tests and the fixture import them from here so a typo cannot pass on one side only.
 */
import type { ElicitRequestFormParams } from '@modelcontextprotocol/server';

/** The restricted JSON Schema subset a form-mode elicitation may request. */
export type ElicitationSchema = ElicitRequestFormParams['requestedSchema'];

/** A 1×1 PNG, base64. */
export const TEST_IMAGE_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A minimal WAV file, base64. */
export const TEST_AUDIO_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=';

/** The server identity the fixture reports in `initialize`. */
export const FIXTURE_SERVER_INFO = {
  name: 'fedmcp-conformance-fixture',
  version: '1.0.0',
} as const;

/** Texts returned by the fixture's tools, resources and prompts. */
export const FIXTURE_TEXT = {
  simpleText: 'This is a simple text response for testing.',
  embeddedResource: 'This is an embedded resource content.',
  mixedContentIntro: 'Multiple content types test:',
  loggingResult: 'Tool with logging executed successfully',
  loggingMessages: ['Tool execution started', 'Tool processing data', 'Tool execution completed'],
  errorMessage: 'This tool intentionally returns an error for testing',
  reconnectionResult:
    'Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.',
  staticTextResource: 'This is the content of the static text resource.',
  watchedResource: 'Watched resource content',
  simplePrompt: 'This is a simple prompt for testing.',
  promptEmbeddedResource: 'Embedded resource content for testing.',
  promptEmbeddedResourceInstruction: 'Please process the embedded resource above.',
  promptImageInstruction: 'Please analyze the image above.',
} as const;

/** Resource URIs served by the fixture. */
export const FIXTURE_URIS = {
  staticText: 'test://static-text',
  staticBinary: 'test://static-binary',
  watched: 'test://watched-resource',
  template: 'test://template/{id}/data',
  embeddedResource: 'test://embedded-resource',
  mixedContentResource: 'test://mixed-content-resource',
} as const;

/**
 * The SEP-1613 input schema: tools/list must return it byte-for-byte, with `$schema`, `$defs`,
 * `$ref` and `additionalProperties` intact.
 */
export const JSON_SCHEMA_2020_12_INPUT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      type: 'object',
      properties: {
        street: { type: 'string' },
        city: { type: 'string' },
      },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
  },
  additionalProperties: false,
} as const;

/** The SEP-1034 elicitation schema: one default per primitive type. */
export const SEP1034_DEFAULTS_SCHEMA: ElicitationSchema = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'User name', default: 'John Doe' },
    age: { type: 'integer', description: 'User age', default: 30 },
    score: { type: 'number', description: 'User score', default: 95.5 },
    status: {
      type: 'string',
      description: 'User status',
      enum: ['active', 'inactive', 'pending'],
      default: 'active',
    },
    verified: { type: 'boolean', description: 'Verification status', default: true },
  },
  required: [],
};

/** The SEP-1330 elicitation schema: the five enum shapes. */
export const SEP1330_ENUMS_SCHEMA: ElicitationSchema = {
  type: 'object',
  properties: {
    untitledSingle: {
      type: 'string',
      description: 'Select one option',
      enum: ['option1', 'option2', 'option3'],
    },
    titledSingle: {
      type: 'string',
      description: 'Select one option with titles',
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: {
      type: 'string',
      description: 'Select one option (legacy)',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: {
      type: 'array',
      description: 'Select multiple options',
      minItems: 1,
      maxItems: 3,
      items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    },
    titledMulti: {
      type: 'array',
      description: 'Select multiple options with titles',
      minItems: 1,
      maxItems: 3,
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
  required: [],
};

/** The `test_elicitation` schema, as the scenario text specifies it. */
export const USER_INFORMATION_SCHEMA: ElicitationSchema = {
  type: 'object',
  properties: {
    username: { type: 'string', description: "User's response" },
    email: { type: 'string', description: "User's email address" },
  },
  required: ['username', 'email'],
};
