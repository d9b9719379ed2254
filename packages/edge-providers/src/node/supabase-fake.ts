/**
 * A contract fake of the Supabase Management API parts `@fedmcp/edge-providers` uses (function
 * deploy, get, delete, secrets, the `logs.all` analytics endpoint), checking each request as the
 * API documents it (the CLI's generated client, `types.gen.go`). The deployed function's
 * `/healthz` is served at `<url>/functions/v1/<slug>/healthz`.
 */
import { randomUUID } from 'node:crypto';
import {
  ContractViolation,
  check,
  type FakeServer,
  formBody,
  hasToken,
  json,
  jsonBody,
  type RouteParams,
  route,
  startFakeServer,
} from './fake-server.js';

/** Options of {@link startSupabaseFake}. */
export interface SupabaseFakeOptions {
  token: string;
  projectRef: string;
  /** Answer every request 429 (the Management API rate limit). @default false */
  rateLimited?: boolean;
  /** Answer every request 500 (the Management API's `{message}` error shape). @default false */
  serverError?: boolean;
  /**
   * How many functions the project may hold (the docs' "Maximum no. of Functions per project",
   * 100 on the Free plan): deploying one more answers 402. @default unlimited
   */
  functionLimit?: number;
  /** Deploys whose files total more bytes answer 400 "The function size exceeds the allowable limit". @default none */
  maxFunctionBytes?: number;
}

interface DeployedFunction {
  id: string;
  slug: string;
  name: string;
  status: 'ACTIVE';
  version: number;
  entrypoint_path: string;
  verify_jwt: boolean;
  files: string[];
  created_at: number;
  updated_at: number;
}

/** A running Supabase fake. */
export interface SupabaseFake extends FakeServer {
  readonly functions: Map<string, DeployedFunction>;
  readonly secrets: Map<string, string>;
  /** Adds a console line of a function, as `function_logs` would hold it. */
  log(slug: string, message: string): void;
}

/** Starts the Supabase fake on 127.0.0.1. */
export async function startSupabaseFake(options: SupabaseFakeOptions): Promise<SupabaseFake> {
  const functions = new Map<string, DeployedFunction>();
  const secrets = new Map<string, string>();
  const logs: Array<{ id: string; functionId: string; timestamp: number; event_message: string }> =
    [];
  const log = (slug: string, message: string) => {
    const found = functions.get(slug);
    if (found !== undefined)
      logs.push({
        id: randomUUID(),
        functionId: found.id,
        timestamp: Date.now() * 1000,
        event_message: message,
      });
  };
  const notFound = () =>
    new ContractViolation('Function not found', 404, { message: 'Function not found' });

  async function deploy(request: Request, url: URL): Promise<Response> {
    const slug = url.searchParams.get('slug');
    check(
      slug !== null && /^[A-Za-z][A-Za-z0-9_-]*$/.test(slug),
      'query parameter slug is required and must match ^[A-Za-z][A-Za-z0-9_-]*$',
    );
    const form = await formBody(request);
    const metadataPart = form.get('metadata');
    check(typeof metadataPart === 'string', 'the "metadata" part is required');
    let metadata: Record<string, unknown>;
    try {
      metadata = JSON.parse(metadataPart) as Record<string, unknown>;
    } catch {
      throw new ContractViolation('the "metadata" part is not JSON');
    }
    check(typeof metadata.entrypoint_path === 'string', 'metadata.entrypoint_path is required');
    check(
      metadata.verify_jwt === undefined || typeof metadata.verify_jwt === 'boolean',
      'metadata.verify_jwt must be a boolean',
    );
    const files: string[] = [];
    let bytes = 0;
    for (const [name, value] of form.entries()) {
      if (name === 'metadata') continue;
      check(name === 'file', `unexpected part "${name}": source files go in parts named "file"`);
      check(
        typeof value !== 'string' && value.name.length > 0,
        'each "file" part needs a filename',
      );
      files.push(value.name);
      bytes += value.size;
    }
    if (bytes > (options.maxFunctionBytes ?? Number.POSITIVE_INFINITY))
      return json(400, { message: 'The function size exceeds the allowable limit' });
    check(
      files.includes(metadata.entrypoint_path),
      `metadata.entrypoint_path "${metadata.entrypoint_path}" is not among the uploaded files`,
    );
    const existing = functions.get(slug);
    if (existing === undefined && functions.size >= (options.functionLimit ?? Infinity))
      return json(402, {
        message:
          'Max number of functions reached for project, please upgrade Plan or disable spend cap',
      });
    const now = Date.now();
    const deployed: DeployedFunction = {
      id: existing?.id ?? randomUUID(),
      slug,
      name: typeof metadata.name === 'string' ? metadata.name : slug,
      status: 'ACTIVE',
      version: (existing?.version ?? 0) + 1,
      entrypoint_path: metadata.entrypoint_path,
      verify_jwt: metadata.verify_jwt !== false,
      files,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    functions.set(slug, deployed);
    log(slug, `booted (version ${deployed.version})`);
    const { files: _files, ...answer } = deployed;
    return json(201, answer);
  }

  async function handle(request: Request, url: URL): Promise<Response> {
    const health = route('GET', '/functions/v1/:slug/healthz', request, url);
    if (health)
      return new Response(functions.has(health.slug) ? 'ok' : 'not found', {
        status: functions.has(health.slug) ? 200 : 404,
      });
    if (!hasToken(request, options.token)) return json(401, { message: 'Unauthorized' });
    if (options.rateLimited) return json(429, { message: 'Too many requests' });
    if (options.serverError) return json(500, { message: 'Internal Server Error' });
    const project = (pattern: string, method: string) => {
      const match = route(method, `/v1/projects/:ref${pattern}`, request, url);
      if (match !== undefined && match.ref !== options.projectRef) {
        throw new ContractViolation('forbidden', 403, {
          message: 'Your account does not have the necessary privileges to access this endpoint',
        });
      }
      return match;
    };
    let match: RouteParams | undefined;
    if (project('/functions/deploy', 'POST')) return deploy(request, url);
    match = project('/functions/:slug', 'GET');
    if (match) {
      const found = functions.get(match.slug);
      if (found === undefined) throw notFound();
      const { files: _files, ...answer } = found;
      return json(200, answer);
    }
    match = project('/functions/:slug', 'DELETE');
    if (match) {
      if (!functions.delete(match.slug)) throw notFound();
      return json(200, {});
    }
    if (project('/secrets', 'POST')) {
      const body = await jsonBody(request);
      check(
        Array.isArray(body) && body.length > 0,
        'the body must be a non-empty array of {name, value}',
      );
      for (const [index, item] of (body as Array<Record<string, unknown>>).entries()) {
        check(
          typeof item.name === 'string' && typeof item.value === 'string',
          `body[${index}] needs string name and value`,
        );
        check(
          !item.name.startsWith('SUPABASE_'),
          `body[${index}].name: names starting with SUPABASE_ are reserved`,
        );
        secrets.set(item.name, item.value);
      }
      return json(201, {});
    }
    if (project('/analytics/endpoints/logs.all', 'GET')) {
      const sql = url.searchParams.get('sql');
      const start = Date.parse(url.searchParams.get('iso_timestamp_start') ?? '');
      const end = Date.parse(url.searchParams.get('iso_timestamp_end') ?? '');
      check(
        sql !== null && /\bfrom\s+function_(edge_)?logs\b/i.test(sql),
        'sql must select from function_logs or function_edge_logs',
      );
      check(
        !Number.isNaN(start) && !Number.isNaN(end),
        'iso_timestamp_start and iso_timestamp_end must be ISO timestamps',
      );
      const functionId = /function_id\s*=\s*'([^']+)'/.exec(sql)?.[1];
      const rows = logs
        .filter(
          (row) =>
            (functionId === undefined || row.functionId === functionId) &&
            row.timestamp / 1000 >= start &&
            row.timestamp / 1000 <= end,
        )
        .map(({ functionId: _id, ...row }) => ({ ...row, level: 'log' }));
      return json(200, { result: rows });
    }
    throw new ContractViolation(
      `${request.method} ${url.pathname} is not part of the documented API`,
      404,
    );
  }

  const server = await startFakeServer(handle, (violation) =>
    json(violation.status, violation.body ?? { message: violation.message }),
  );
  return Object.assign(server, { functions, secrets, log });
}
