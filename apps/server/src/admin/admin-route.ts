/**
 * One admin route, defined once: method, path, zod schemas of its input and output, and its
 * handler. The dispatcher validates with the schemas and the OpenAPI document is generated from
 * them, so the two cannot drift apart.
 */
import type { Principal } from '@fedmcp/proxy-auth';
import type * as z from 'zod';
import { ProblemError } from './problem.js';

/** HTTP methods the admin API uses. */
export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** What a handler gets: the validated input and the caller. */
export interface AdminInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  /** The web-standard request (its body already read into `body`). */
  request: Request;
}

/** An admin route; build it with {@link defineRoute}. */
export interface AdminRoute {
  method: AdminMethod;
  /** The path under the API's base, OpenAPI style: `/upstreams/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The JSON body of a success. */
  response?: z.ZodType;
  /** The success status. @default 200 */
  status?: number;
  /** A Server-Sent Events stream: the handler resolves the streaming `Response` itself. */
  stream?: boolean;
  handle(input: AdminInput<unknown, unknown, unknown>): Promise<unknown>;
}

/** Defines a route with its handler typed by the schemas. */
export function defineRoute<
  P extends z.ZodObject = z.ZodObject<Record<never, never>>,
  Q extends z.ZodObject = z.ZodObject<Record<never, never>>,
  B extends z.ZodType = z.ZodUndefined,
>(route: {
  method: AdminMethod;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  response?: z.ZodType;
  status?: number;
  stream?: boolean;
  handle(input: AdminInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<unknown>;
}): AdminRoute {
  return route as unknown as AdminRoute;
}

/** A compiled path matcher: the parameter names and a regular expression. */
export interface PathMatcher {
  names: string[];
  pattern: RegExp;
}

/** Compiles `/upstreams/{id}` (or `/tools/{name}:call`) into a matcher. */
export function compilePath(path: string): PathMatcher {
  const names: string[] = [];
  const source = path
    .split(/(\{[a-zA-Z]+\})/)
    .map((part) => {
      const name = /^\{([a-zA-Z]+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(name);
      return '([^/:]+)';
    })
    .join('');
  return { names, pattern: new RegExp(`^${source}$`) };
}

/**
 * The decoded path parameters of a match, or `undefined` when the path does not match.
 * @throws ProblemError 400 for a malformed percent-encoding.
 */
export function matchPath(matcher: PathMatcher, path: string): Record<string, string> | undefined {
  const match = matcher.pattern.exec(path);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  matcher.names.forEach((name, index) => {
    const raw = match[index + 1] ?? '';
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      throw new ProblemError(400, `The path segment "${raw}" is not valid percent-encoding.`);
    }
  });
  return params;
}
