/**
 * Cloudflare Workers over the Cloudflare API v4: module upload with `metadata`, the workers.dev
 * route, tail logs over `trace-v1`, status from the deployment list and the hub's `/healthz`.
 */
import { type ApiClient, createApiClient, type FormPart, hubHealth, step } from './api-client.js';
import {
  cloudflareModuleType,
  type DurableObjectBinding,
  workerMetadata,
} from './cloudflare-metadata.js';
import { type CreateWebSocket, readTail } from './cloudflare-tail.js';
import { checkDeployName, EdgeProviderError } from './edge-provider-error.js';
import type {
  DeployPlan,
  DeployResult,
  LogEvent,
  LogsOptions,
  PlannedStep,
  Provider,
  ProviderCommonOptions,
} from './provider.js';

/** Options of {@link createCloudflareProvider}. */
export interface CloudflareProviderOptions extends ProviderCommonOptions {
  /** The account id (the dashboard's URL has it). */
  accountId: string;
  /** The Worker's name. @default 'fedmcp-hub' */
  name?: string;
  /** @default 'https://api.cloudflare.com/client/v4' */
  baseUrl?: string;
  /** @default '2025-09-01' */
  compatibilityDate?: string;
  /** @default ['nodejs_compat'] */
  compatibilityFlags?: string[];
  /** Durable Object classes to bind; a migration creating them as SQLite classes is sent. @default [] */
  durableObjects?: DurableObjectBinding[];
  /** Opens the tail WebSocket. @default `new globalThis.WebSocket(url, protocol)` */
  createWebSocket?: CreateWebSocket;
}

interface Envelope<T> {
  success: boolean;
  result: T;
}

function requireBundle(plan: DeployPlan): NonNullable<DeployPlan['bundle']> {
  const bundle = plan.bundle;
  if (bundle === undefined || !bundle.files.some((file) => file.path === bundle.entry)) {
    throw new EdgeProviderError(
      'cloudflare',
      'INVALID',
      'A Cloudflare deploy needs a bundle whose files include its entry module.',
    );
  }
  return bundle;
}

/**
 * Creates the Cloudflare Workers provider.
 *
 * @example
 * ```ts
 * const cloudflare = createCloudflareProvider({ token, accountId, name: 'my-hub' });
 * await cloudflare.deploy({ bundle: { entry: 'index.js', files: [{ path: 'index.js', content }] } });
 * ```
 */
export function createCloudflareProvider(options: CloudflareProviderOptions): Provider {
  const name = checkDeployName('cloudflare', options.name ?? 'fedmcp-hub');
  const durableObjects = options.durableObjects ?? [];
  let secretValues: string[] = [];
  const client: ApiClient = createApiClient({
    provider: 'cloudflare',
    baseUrl: options.baseUrl ?? 'https://api.cloudflare.com/client/v4',
    authorization: `Bearer ${options.token}`,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
    secrets: () => secretValues,
  });
  const workers = `/accounts/${encodeURIComponent(options.accountId)}/workers`;
  const script = `${workers}/scripts/${encodeURIComponent(name)}`;

  async function currentMigrationTag(): Promise<string | undefined> {
    const answer = await client.send<Envelope<Array<{ id: string; migration_tag?: string }>>>({
      method: 'GET',
      path: `${workers}/scripts`,
      what: 'Listing the Workers of the account',
    });
    return answer?.result.find((item) => item.id === name)?.migration_tag;
  }

  async function publicUrl(): Promise<string> {
    if (options.publicUrl !== undefined) return options.publicUrl;
    const answer = await client.send<Envelope<{ subdomain: string }>>({
      method: 'GET',
      path: `${workers}/subdomain`,
      what: "Reading the account's workers.dev subdomain",
    });
    return `https://${name}.${answer?.result.subdomain ?? '<account-subdomain>'}.workers.dev`;
  }

  return {
    id: 'cloudflare',
    plan(plan) {
      const bundle = requireBundle(plan);
      const steps: PlannedStep[] = [
        {
          action: 'create-or-update',
          resource: `Worker script "${name}" (${bundle.files.length} module${bundle.files.length === 1 ? '' : 's'}, entry ${bundle.entry})`,
        },
      ];
      const secretCount = Object.keys(plan.secrets ?? {}).length;
      if (secretCount > 0)
        steps.push({
          action: 'create-or-update',
          resource: `${secretCount} secret binding(s) on "${name}"`,
        });
      for (const object of durableObjects)
        steps.push({
          action: 'create',
          resource: `Durable Object class ${object.className} bound as ${object.binding}`,
        });
      steps.push({ action: 'create-or-update', resource: `workers.dev route for "${name}"` });
      return steps;
    },

    async deploy(plan): Promise<DeployResult> {
      const bundle = requireBundle(plan);
      secretValues = Object.values(plan.secrets ?? {});
      // Durable Object migrations are applied once per tag: send ours only when not applied yet.
      const migrationTag = durableObjects.length === 0 ? undefined : await currentMigrationTag();
      const metadata = workerMetadata({
        plan,
        entry: bundle.entry,
        durableObjects,
        currentMigrationTag: migrationTag,
        ...(options.compatibilityDate === undefined
          ? {}
          : { compatibilityDate: options.compatibilityDate }),
        ...(options.compatibilityFlags === undefined
          ? {}
          : { compatibilityFlags: options.compatibilityFlags }),
      });
      const form: FormPart[] = [{ name: 'metadata', content: JSON.stringify(metadata) }];
      for (const file of bundle.files) {
        form.push({
          name: file.path,
          filename: file.path,
          contentType: cloudflareModuleType(file.path),
          content: file.content,
        });
      }
      await step(options.onProgress, 'upload worker script', () =>
        client.send({ method: 'PUT', path: script, form, what: `Upload of the Worker "${name}"` }),
      );
      const url = await step(
        options.onProgress,
        'enable the workers.dev route',
        async () => {
          await client.send({
            method: 'POST',
            path: `${script}/subdomain`,
            json: { enabled: true },
            what: `Enabling the workers.dev route of "${name}"`,
          });
          return publicUrl();
        },
        (found) => found,
      );
      return { url, dryRun: options.dryRun === true, requests: client.requests, files: {} };
    },

    async status() {
      const answer = await client.send<
        Envelope<{
          deployments: Array<{
            id: string;
            created_on: string;
            versions: Array<{ version_id: string; percentage: number }>;
          }>;
        }>
      >({
        method: 'GET',
        path: `${script}/deployments`,
        what: `Reading the deployments of "${name}"`,
        allowNotFound: true,
      });
      const url = await publicUrl();
      const latest = answer?.result.deployments[0];
      if (latest === undefined)
        return { state: 'missing', url, details: [`no Worker "${name}"`], health: 'not deployed' };
      const versions = latest.versions
        .map((version) => `${version.version_id} ${version.percentage}%`)
        .join(', ');
      return {
        state: 'deployed',
        url,
        details: [`deployment ${latest.id} (${latest.created_on}): ${versions}`],
        health: await hubHealth(options.fetch ?? globalThis.fetch, url),
      };
    },

    logs(logsOptions: LogsOptions = {}): AsyncIterable<LogEvent> {
      return logs(logsOptions);
    },

    async scale(): Promise<string[]> {
      throw new EdgeProviderError(
        'cloudflare',
        'UNSUPPORTED',
        'Cloudflare Workers scale by themselves (one isolate per request as needed): there is no instance count to set.',
      );
    },

    async destroy() {
      await step(options.onProgress, 'delete worker script', () =>
        client.send({
          method: 'DELETE',
          path: script,
          query: { force: 'true' },
          what: `Deleting the Worker "${name}"`,
        }),
      );
    },
  };

  async function* logs(logsOptions: LogsOptions): AsyncGenerator<LogEvent> {
    if (!logsOptions.follow) {
      // The telemetry query answers an empty list for a Worker that does not exist: ask for the
      // script's deployments first, so "nothing deployed" is an error (404), not silence.
      await client.send({
        method: 'GET',
        path: `${script}/deployments`,
        what: `Reading the deployments of "${name}"`,
      });
      const now = Date.now();
      const answer = await client.send<
        Envelope<{ events?: { events?: Array<Record<string, Record<string, unknown>>> } }>
      >({
        method: 'POST',
        path: `/accounts/${encodeURIComponent(options.accountId)}/workers/observability/telemetry/query`,
        json: {
          queryId: 'fedmcp-logs',
          timeframe: { from: now - 3_600_000, to: now },
          view: 'events',
          parameters: {
            filters: [{ key: '$metadata.service', operation: 'eq', type: 'string', value: name }],
            limit: 100,
          },
        },
        what: `Reading the recent logs of "${name}"`,
      });
      for (const event of answer?.result.events?.events ?? []) {
        const meta = event.$metadata ?? {};
        yield {
          timestamp: new Date(Number(event.timestamp ?? Date.now())).toISOString(),
          level: String(meta.level ?? 'log'),
          message: String(meta.message ?? ''),
        };
      }
      return;
    }
    const createWebSocket =
      options.createWebSocket ??
      ((url, protocol) => new WebSocket(url, protocol) as unknown as ReturnType<CreateWebSocket>);
    const tail = await client.send<Envelope<{ id: string; url: string }>>({
      method: 'POST',
      path: `${script}/tails`,
      json: { filters: [] },
      what: `Starting a tail of "${name}"`,
    });
    if (tail === undefined) return;
    try {
      yield* readTail(createWebSocket(tail.result.url, 'trace-v1'), logsOptions.signal);
    } finally {
      await client
        .send({
          method: 'DELETE',
          path: `${script}/tails/${encodeURIComponent(tail.result.id)}`,
          what: 'Closing the tail',
        })
        .catch(() => undefined);
    }
  }
}
