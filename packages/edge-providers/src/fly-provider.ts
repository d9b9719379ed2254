/**
 * Fly.io over the Machines API: the app, machines running the hub's image with its config as a
 * machine file, wait for `started`, scaling by machine count and autostop, logs by polling.
 */
import { createApiClient, hubHealth, sleep, step } from './api-client.js';
import { checkDeployName, EdgeProviderError } from './edge-provider-error.js';
import {
  FLY_CONFIG_PATH,
  flyMachineConfig,
  flyServices,
  type Machine,
  type MachineConfig,
} from './fly-machine-config.js';
import { flyToml } from './fly-toml.js';
import type {
  DeployResult,
  LogEvent,
  LogsOptions,
  Provider,
  ProviderCommonOptions,
} from './provider.js';

/** Options of {@link createFlyProvider}. */
export interface FlyProviderOptions extends ProviderCommonOptions {
  /** The app name (global on Fly.io). @default 'fedmcp-hub' */
  name?: string;
  /** The organisation slug a new app is created in. @default 'personal' */
  org?: string;
  /** @default 'iad' */
  region?: string;
  /** The hub's image (built from the repo's Dockerfile). @default 'ghcr.io/fedmcp/fedmcp:latest' */
  image?: string;
  /** Machines created by a first deploy. @default 1 */
  count?: number;
  /** @default 'stop' */
  autoStop?: 'off' | 'stop' | 'suspend';
  /** @default 0 */
  minMachinesRunning?: number;
  /** @default 'https://api.machines.dev' */
  baseUrl?: string;
  /** Where the (undocumented, flyctl's) log endpoint lives. @default 'https://api.fly.io' */
  logsBaseUrl?: string;
}

/** Creates the Fly.io provider. */
export function createFlyProvider(options: FlyProviderOptions): Provider {
  const app = checkDeployName('fly', options.name ?? 'fedmcp-hub');
  // Fly's deploy tokens are macaroons (`FlyV1 fm2_…`); personal tokens are bearer tokens.
  const authorization = options.token.startsWith('FlyV1 ')
    ? options.token
    : options.token.startsWith('fm2_')
      ? `FlyV1 ${options.token}`
      : `Bearer ${options.token}`;
  const client = createApiClient({
    provider: 'fly',
    baseUrl: options.baseUrl ?? 'https://api.machines.dev',
    authorization,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
  });
  const appPath = `/v1/apps/${encodeURIComponent(app)}`;
  const url = options.publicUrl ?? `https://${app}.fly.dev`;
  const listMachines = async () =>
    (await client.send<Machine[]>({
      method: 'GET',
      path: `${appPath}/machines`,
      what: `Listing the machines of "${app}"`,
      allowNotFound: true,
    })) ?? [];

  const createMachine = (config: MachineConfig, region = options.region ?? 'iad') =>
    client.send<Machine>({
      method: 'POST',
      path: `${appPath}/machines`,
      json: { region, config },
      what: `Creating a machine in "${app}"`,
    });
  const updateMachine = (machine: Machine, config: MachineConfig) =>
    client.send<Machine>({
      method: 'POST',
      path: `${appPath}/machines/${machine.id}`,
      json: { region: machine.region, config },
      what: `Updating machine ${machine.id}`,
    });
  const waitStarted = (machine: Machine | undefined) =>
    machine === undefined
      ? Promise.resolve(undefined)
      : client.send({
          method: 'GET',
          path: `${appPath}/machines/${machine.id}/wait`,
          query: {
            state: 'started',
            timeout: '60',
            ...(machine.instance_id === undefined ? {} : { instance_id: machine.instance_id }),
          },
          what: `Waiting for machine ${machine.id} to start`,
        });

  /** Scale-down: stop with SIGTERM (the hub drains its calls), wait for `stopped`, then destroy. */
  async function retireMachine(machine: Machine): Promise<void> {
    const path = `${appPath}/machines/${machine.id}`;
    if (machine.state === 'started') {
      await client.send({
        method: 'POST',
        path: `${path}/stop`,
        json: { signal: 'SIGTERM', timeout: '30s' },
        what: `Stopping machine ${machine.id}`,
      });
      await client.send({
        method: 'GET',
        path: `${path}/wait`,
        // fly-go: waiting for `stopped` needs the instance the stop applied to.
        query: { state: 'stopped', timeout: '60', instance_id: machine.instance_id ?? '' },
        what: `Waiting for machine ${machine.id} to stop`,
      });
    }
    await client.send({ method: 'DELETE', path, what: `Destroying machine ${machine.id}` });
  }

  async function* logs(logsOptions: LogsOptions): AsyncGenerator<LogEvent> {
    let nextToken = '';
    do {
      const answer = await client.send<{
        data: Array<{ attributes: { timestamp: string; level: string; message: string } }>;
        meta: { next_token: string };
      }>({
        method: 'GET',
        baseUrl: options.logsBaseUrl ?? 'https://api.fly.io',
        path: `/api/v1/apps/${encodeURIComponent(app)}/logs`,
        query: nextToken === '' ? {} : { next_token: nextToken },
        what: `Reading the logs of "${app}"`,
      });
      for (const entry of answer?.data ?? [])
        yield {
          timestamp: entry.attributes.timestamp,
          level: entry.attributes.level,
          message: entry.attributes.message,
        };
      nextToken = answer?.meta.next_token ?? nextToken;
      if (!logsOptions.follow) return;
      await sleep(options.pollIntervalMs ?? 2000, logsOptions.signal);
    } while (!logsOptions.signal?.aborted);
  }

  return {
    id: 'fly',
    plan(plan) {
      const count = options.count ?? 1;
      return [
        {
          action: 'create-or-update',
          resource: `Fly app "${app}" in org ${options.org ?? 'personal'}`,
        },
        {
          action: 'create-or-update',
          resource: `${count} machine(s) in ${options.region ?? 'iad'} running ${options.image ?? 'ghcr.io/fedmcp/fedmcp:latest'}${plan.config === undefined ? '' : ` with the config at ${FLY_CONFIG_PATH}`}`,
        },
      ];
    },

    async deploy(plan): Promise<DeployResult> {
      // A machine's config (env included) is readable by everyone with access to the app.
      if (Object.keys(plan.secrets ?? {}).length > 0) {
        throw new EdgeProviderError(
          'fly',
          'UNSUPPORTED',
          'Secrets are not sent to Fly.io yet (a machine config is readable by every app member): set them with `fly secrets set NAME=VALUE -a <app>`, which reach the machines as environment variables.',
        );
      }
      const config = flyMachineConfig(plan, options);
      await step(options.onProgress, 'create the app', async () => {
        const found = await client.send({
          method: 'GET',
          path: appPath,
          what: `Reading the app "${app}"`,
          allowNotFound: true,
        });
        if (found === undefined) {
          await client.send({
            method: 'POST',
            path: '/v1/apps',
            json: { app_name: app, org_slug: options.org ?? 'personal' },
            what: `Creating the app "${app}"`,
          });
        }
      });
      const machines = await step(
        options.onProgress,
        'create or update machines',
        async () => {
          const existing = await listMachines();
          if (existing.length > 0)
            return Promise.all(existing.map((machine) => updateMachine(machine, config)));
          const created: Array<Machine | undefined> = [];
          for (let index = 0; index < (options.count ?? 1); index += 1)
            created.push(await createMachine(config));
          return created;
        },
        (done) => `${done.length} machine(s)`,
      );
      await step(
        options.onProgress,
        'wait for machines to start',
        () => Promise.all(machines.map(waitStarted)),
        () => url,
      );
      const files = { 'fly.toml': flyToml({ app, ...pick(options) }) };
      return { url, dryRun: options.dryRun === true, requests: client.requests, files };
    },

    async status() {
      const found = await client.send({
        method: 'GET',
        path: appPath,
        what: `Reading the app "${app}"`,
        allowNotFound: true,
      });
      if (found === undefined)
        return { state: 'missing', url, details: [`no app "${app}"`], health: 'not deployed' };
      const machines = await listMachines();
      return {
        state: 'deployed',
        url,
        details:
          machines.length === 0
            ? ['no machines']
            : machines.map((machine) => `machine ${machine.id} ${machine.region} ${machine.state}`),
        health: await hubHealth(options.fetch ?? globalThis.fetch, url),
      };
    },

    logs: (logsOptions = {}) => logs(logsOptions),

    async scale(count, scale = {}) {
      if (!Number.isInteger(count) || count < 0)
        throw new EdgeProviderError(
          'fly',
          'INVALID',
          `The machine count must be a whole number ≥ 0, got ${count}.`,
        );
      return step(options.onProgress, `scale to ${count} machine(s)`, async () => {
        const machines = await listMachines();
        const template = machines[0]?.config;
        if (template === undefined)
          throw new EdgeProviderError(
            'fly',
            'NOT_FOUND',
            `"${app}" has no machine to copy: run \`fedmcp deploy fly\` first.`,
          );
        // Copies keep the first machine's services; only the settings given change.
        const services = (template.services ?? flyServices({}, options)).map((service) => ({
          ...service,
          ...(scale.autoStop === undefined ? {} : { autostop: scale.autoStop }),
          ...(scale.minMachinesRunning === undefined
            ? {}
            : { min_machines_running: scale.minMachinesRunning }),
        }));
        const config = { ...template, services };
        const region = machines[0]?.region;
        const kept = machines.slice(0, count);
        const changed = scale.autoStop !== undefined || scale.minMachinesRunning !== undefined;
        if (changed) await Promise.all(kept.map((machine) => updateMachine(machine, config)));
        const created: Array<Machine | undefined> = [];
        for (let index = machines.length; index < count; index += 1)
          created.push(await createMachine(config, region));
        await Promise.all(created.map(waitStarted));
        for (const machine of machines.slice(count)) await retireMachine(machine);
        const now = await listMachines();
        return now.map((machine) => `machine ${machine.id} ${machine.region} ${machine.state}`);
      });
    },

    async destroy() {
      await step(options.onProgress, 'destroy machines and app', async () => {
        for (const machine of await listMachines()) {
          await client.send({
            method: 'DELETE',
            path: `${appPath}/machines/${machine.id}`,
            query: { force: 'true' },
            what: `Destroying machine ${machine.id}`,
          });
        }
        await client.send({ method: 'DELETE', path: appPath, what: `Deleting the app "${app}"` });
      });
    },
  };
}

function pick(options: FlyProviderOptions) {
  return {
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.autoStop === undefined ? {} : { autoStop: options.autoStop }),
    ...(options.minMachinesRunning === undefined
      ? {}
      : { minMachinesRunning: options.minMachinesRunning }),
  };
}
