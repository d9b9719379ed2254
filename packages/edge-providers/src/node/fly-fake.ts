/**
 * A contract fake of the Fly.io Machines API (`/v1/apps`, `/v1/apps/{app}/machines`: create,
 * update, wait, delete) and of flyctl's log endpoint (`/api/v1/apps/{app}/logs`), checking each
 * request as Fly documents it (machines-resource docs, fly-go `flaps`). Machines start at once.
 * The app's `/healthz` is served at `<url>/hub/<app>/healthz` while a machine is started.
 */
import { randomUUID } from 'node:crypto';
import {
  ContractViolation,
  check,
  type FakeServer,
  hasToken,
  json,
  jsonBody,
  type RouteParams,
  route,
  startFakeServer,
} from './fake-server.js';

/** Options of {@link startFlyFake}. */
export interface FlyFakeOptions {
  token: string;
  /** App names someone else owns: creating one answers 422 "taken". @default [] */
  takenNames?: string[];
  /** Answer every request 429 (the Machines API rate limit). @default false */
  rateLimited?: boolean;
  /** Answer every request 500 (the Machines API's `{error}` shape). @default false */
  serverError?: boolean;
}

interface Machine {
  id: string;
  name: string;
  state: 'started' | 'stopped';
  region: string;
  instance_id: string;
  config: MachineConfig;
  created_at: string;
  updated_at: string;
}

/** A running Fly fake. */
export interface FlyFake extends FakeServer {
  readonly apps: Map<string, { org: string; machines: Map<string, Machine> }>;
  /**
   * Who holds every machine's lease (another `fly deploy`): while set, changing a machine
   * (update, stop, start, delete) answers 409 as the Machines API does. @default undefined
   */
  leaseHeldBy: string | undefined;
}

/** The parts of a machine config the fake checks. */
interface MachineConfig {
  image: string;
  files?: Array<Record<string, unknown>>;
  services?: Array<{ internal_port?: unknown; autostop?: unknown; min_machines_running?: unknown }>;
  init?: { cmd?: unknown };
}

const AUTOSTOP = new Set<unknown>([true, false, 'off', 'stop', 'suspend']);

function checkConfig(config: unknown): asserts config is MachineConfig {
  check(typeof config === 'object' && config !== null, 'config is required');
  const value = config as MachineConfig;
  check(typeof value.image === 'string' && value.image.length > 0, 'config.image is required');
  for (const [index, file] of (value.files ?? []).entries()) {
    check(
      typeof file.guest_path === 'string' && file.guest_path.startsWith('/'),
      `config.files[${index}].guest_path must be an absolute path`,
    );
    check(
      (file.raw_value === undefined) !== (file.secret_name === undefined),
      `config.files[${index}] needs exactly one of raw_value and secret_name`,
    );
    if (typeof file.raw_value === 'string') {
      const text = Buffer.from(file.raw_value, 'base64').toString('utf8');
      check(
        Buffer.from(text, 'utf8').toString('base64') === file.raw_value,
        `config.files[${index}].raw_value must be base64`,
      );
      if (String(file.guest_path).endsWith('.json')) {
        try {
          JSON.parse(text);
        } catch {
          throw new ContractViolation(
            `config.files[${index}] (${String(file.guest_path)}) is not JSON`,
          );
        }
      }
    }
  }
  for (const [index, service] of (value.services ?? []).entries()) {
    check(
      Number.isInteger(service.internal_port),
      `config.services[${index}].internal_port must be a port number`,
    );
    check(
      service.autostop === undefined || AUTOSTOP.has(service.autostop),
      `config.services[${index}].autostop must be one of off, stop, suspend`,
    );
    check(
      service.min_machines_running === undefined ||
        (Number.isInteger(service.min_machines_running) &&
          Number(service.min_machines_running) >= 0),
      `config.services[${index}].min_machines_running must be an integer ≥ 0`,
    );
  }
  const cmd = value.init?.cmd;
  check(
    cmd === undefined ||
      (Array.isArray(cmd) && cmd.every((part: unknown) => typeof part === 'string')),
    'config.init.cmd must be an array of strings',
  );
}

/** Starts the Fly fake on 127.0.0.1 (the Machines API and the logs API on one port). */
export async function startFlyFake(options: FlyFakeOptions): Promise<FlyFake> {
  const apps = new Map<string, { org: string; machines: Map<string, Machine> }>();
  const app = (name: string) => {
    const found = apps.get(name);
    if (found === undefined) throw new ContractViolation('app not found', 404);
    return found;
  };
  const machine = (appName: string, id: string) => {
    const found = app(appName).machines.get(id);
    if (found === undefined) throw new ContractViolation('machine not found', 404);
    return found;
  };
  /** A machine about to change: 409 while another client holds its lease. */
  const leased = (appName: string, id: string) => {
    const found = machine(appName, id);
    if (fake.leaseHeldBy !== undefined)
      throw new ContractViolation(
        `machine ID ${id} lease currently held by ${fake.leaseHeldBy}, expires at ${new Date(Date.now() + 300_000).toISOString()}`,
        409,
      );
    return found;
  };

  async function handle(request: Request, url: URL): Promise<Response> {
    const health = route('GET', '/hub/:app/healthz', request, url);
    if (health) {
      const up = [...(apps.get(health.app)?.machines.values() ?? [])].some(
        (item) => item.state === 'started',
      );
      return new Response(up ? 'ok' : 'no machine', { status: up ? 200 : 503 });
    }
    if (!hasToken(request, options.token, ['Bearer', 'FlyV1']))
      return json(401, { error: 'unauthorized' });
    if (options.rateLimited) return json(429, { error: 'rate limit exceeded' });
    if (options.serverError) return json(500, { error: 'internal server error' });
    let match: RouteParams | undefined;
    if (route('POST', '/v1/apps', request, url)) {
      const body = (await jsonBody(request)) as Record<string, unknown>;
      check(
        typeof body.app_name === 'string' && /^[a-z0-9][a-z0-9-]*$/.test(body.app_name),
        'app_name is required: lowercase letters, digits and dashes',
      );
      check(typeof body.org_slug === 'string', 'org_slug is required');
      if (apps.has(body.app_name) || (options.takenNames ?? []).includes(body.app_name)) {
        return json(422, { error: 'Validation failed: Name has already been taken' });
      }
      apps.set(body.app_name, { org: body.org_slug, machines: new Map() });
      return json(201, { id: randomUUID(), created_at: Date.now() });
    }
    match = route('GET', '/v1/apps/:app', request, url);
    if (match) {
      const found = app(match.app);
      return json(200, {
        name: match.app,
        organization: { slug: found.org },
        machine_count: found.machines.size,
        status: 'deployed',
      });
    }
    match = route('DELETE', '/v1/apps/:app', request, url);
    if (match) {
      app(match.app);
      apps.delete(match.app);
      return new Response(null, { status: 202 });
    }
    match = route('GET', '/v1/apps/:app/machines', request, url);
    if (match) return json(200, [...app(match.app).machines.values()]);
    match = route('POST', '/v1/apps/:app/machines', request, url);
    if (match) {
      const target = app(match.app);
      const body = (await jsonBody(request)) as Record<string, unknown>;
      checkConfig(body.config);
      const now = new Date().toISOString();
      const created: Machine = {
        id: randomUUID().replace(/-/g, '').slice(0, 14),
        name: `machine-${target.machines.size + 1}`,
        state: 'started',
        region: typeof body.region === 'string' ? body.region : 'iad',
        instance_id: randomUUID(),
        config: body.config,
        created_at: now,
        updated_at: now,
      };
      target.machines.set(created.id, created);
      return json(200, created);
    }
    match = route('POST', '/v1/apps/:app/machines/:id', request, url);
    if (match) {
      const found = leased(match.app, match.id);
      const body = (await jsonBody(request)) as Record<string, unknown>;
      checkConfig(body.config);
      Object.assign(found, {
        config: body.config,
        instance_id: randomUUID(),
        updated_at: new Date().toISOString(),
      });
      return json(200, found);
    }
    match = route('POST', '/v1/apps/:app/machines/:id/stop', request, url);
    if (match) {
      const found = leased(match.app, match.id);
      if (request.headers.get('content-type') !== null) {
        const body = (await jsonBody(request)) as Record<string, unknown>;
        check(
          body.signal === undefined || typeof body.signal === 'string',
          'signal must be a string such as "SIGTERM"',
        );
        check(
          body.timeout === undefined || /^\d+(ms|s|m)$/.test(String(body.timeout)),
          'timeout must be a duration such as "30s"',
        );
      }
      found.state = 'stopped';
      return json(200, { ok: true });
    }
    match = route('POST', '/v1/apps/:app/machines/:id/start', request, url);
    if (match) {
      const found = leased(match.app, match.id);
      const previous = found.state;
      found.state = 'started';
      return json(200, { previous_state: previous });
    }
    match = route('GET', '/v1/apps/:app/machines/:id/wait', request, url);
    if (match) {
      const found = machine(match.app, match.id);
      const state = url.searchParams.get('state');
      check(
        state !== null && ['started', 'stopped', 'suspended', 'destroyed'].includes(state),
        'state must be started, stopped, suspended or destroyed',
      );
      check(
        /^\d+$/.test(url.searchParams.get('timeout') ?? '60'),
        'timeout must be a number of seconds',
      );
      if (state === 'stopped') {
        check(
          url.searchParams.get('instance_id') === found.instance_id,
          'waiting for stopped needs the instance_id of the machine version',
        );
      }
      if (found.state !== state)
        return json(408, { error: 'deadline_exceeded: timeout waiting for machine' });
      return json(200, { ok: true });
    }
    match = route('DELETE', '/v1/apps/:app/machines/:id', request, url);
    if (match) {
      const found = leased(match.app, match.id);
      const force =
        url.searchParams.get('force') === 'true' || url.searchParams.get('kill') === 'true';
      if (found.state === 'started' && !force)
        return json(412, {
          error: 'failed_precondition: unable to destroy machine, not currently stopped',
        });
      app(match.app).machines.delete(found.id);
      return json(200, { ok: true });
    }
    match = route('GET', '/api/v1/apps/:app/logs', request, url);
    if (match) {
      const found = app(match.app);
      const offset = Number(url.searchParams.get('next_token') ?? '0');
      const lines = [...found.machines.values()].map((item) => ({
        id: `${item.id}-boot`,
        attributes: {
          timestamp: item.created_at,
          message: `fedmcp hub listening on 0.0.0.0:8080 (${item.id})`,
          level: 'info',
          instance: item.id,
          region: item.region,
          meta: {},
        },
      }));
      return json(200, { data: lines.slice(offset), meta: { next_token: String(lines.length) } });
    }
    throw new ContractViolation(
      `${request.method} ${url.pathname} is not part of the documented API`,
      404,
    );
  }

  const server = await startFakeServer(handle, (violation) =>
    json(violation.status, { error: violation.message }),
  );
  const fake: FlyFake = Object.assign(server, { apps, leaseHeldBy: undefined });
  return fake;
}
