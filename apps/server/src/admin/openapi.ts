/**
 * The OpenAPI 3.1 document of the admin API and the REST facade, generated from the route
 * table's zod schemas (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */
import * as z from 'zod';
import type { AdminRoute } from './admin-route.js';
import { problemSchema } from './problem.js';

/** A group of routes under one base path. */
export interface RouteGroup {
  base: string;
  routes: readonly AdminRoute[];
  /** The security the group needs: `admin` (admin scope) or `caller` (any credentials). */
  security: 'admin' | 'caller';
}

type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema of a zod schema, its named parts (`.meta({ id })`) moved to `components.schemas`;
 * an input and an output shape of one id that differ get `<id>_input` / `<id>_output`.
 */
function toSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
): JsonSchema {
  const generated = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
  const { $schema: _dialect, $defs, ...rest } = generated;
  const names = new Map<string, string>();
  for (const [id, definition] of Object.entries($defs ?? {})) {
    const existing = components[id];
    const same = !existing || JSON.stringify(existing) === JSON.stringify(definition);
    names.set(id, same ? id : `${id}_${io}`);
  }
  const rename = (value: JsonSchema): JsonSchema =>
    JSON.parse(
      JSON.stringify(value).replace(/"#\/\$defs\/([^"]+)"/g, (_match, id: string) =>
        JSON.stringify(`#/components/schemas/${names.get(id) ?? id}`),
      ),
    ) as JsonSchema;
  for (const [id, definition] of Object.entries($defs ?? {})) {
    components[names.get(id) ?? id] = rename(definition);
  }
  return rename(rest);
}

function parameters(
  route: AdminRoute,
  components: Record<string, JsonSchema>,
): Array<Record<string, unknown>> {
  const list: Array<Record<string, unknown>> = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    for (const [name, field] of Object.entries(schema.shape)) {
      const fieldSchema = toSchema(field as z.ZodType, 'input', components);
      const optional = (field as z.ZodType).safeParse(undefined).success;
      list.push({
        name,
        in: where,
        required: where === 'path' || !optional,
        schema: fieldSchema,
        ...(typeof fieldSchema.description === 'string'
          ? { description: fieldSchema.description }
          : {}),
      });
    }
  }
  return list;
}

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

function operation(route: AdminRoute, group: RouteGroup, components: Record<string, JsonSchema>) {
  const status = String(route.status ?? 200);
  const success = route.stream
    ? {
        description: 'A Server-Sent Events stream.',
        content: { 'text/event-stream': { schema: { type: 'string' } } },
      }
    : route.response
      ? {
          description: 'Success.',
          content: {
            'application/json': { schema: toSchema(route.response, 'output', components) },
          },
        }
      : { description: 'Done.' };
  const params = parameters(route, components);
  const bodyOptional = route.body?.safeParse(undefined).success ?? true;
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    security: [{ bearer: group.security === 'admin' ? ['admin'] : [] }],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !bodyOptional,
            content: { 'application/json': { schema: toSchema(route.body, 'input', components) } },
          },
        }
      : {}),
    responses: {
      [status]: success,
      '400': problemResponse('Invalid input: the problem names each bad field.'),
      '401': problemResponse('No or bad credentials.'),
      ...(group.security === 'admin' ? { '403': problemResponse('No "admin" scope.') } : {}),
      default: problemResponse('Any other failure.'),
    },
  };
}

/** The OpenAPI 3.1 document of the route groups. */
export function buildOpenApiDocument(groups: readonly RouteGroup[], version: string) {
  const components: Record<string, JsonSchema> = {};
  toSchema(problemSchema, 'output', components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const group of groups) {
    for (const route of group.routes) {
      const path = `${group.base}${route.path}`;
      paths[path] ??= {};
      paths[path][route.method.toLowerCase()] = operation(route, group, components);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'fedmcp admin API',
      version,
      description:
        'Operate a fedmcp hub: upstreams, tools and pins, peers, policy, consent, audit, sessions, tasks; and call tools over plain HTTP (the REST facade). Errors are RFC 9457 problem details.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key or OAuth token; the admin API needs the "admin" scope.',
        },
      },
    },
  };
}
