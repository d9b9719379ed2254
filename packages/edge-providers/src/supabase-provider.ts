/**
 * Supabase Edge Functions over the Supabase Management API: multipart deploy (`metadata` + one
 * `file` part per source file), secrets, status, and logs by polling the analytics endpoint.
 */
import { createApiClient, type FormPart, hubHealth, sleep, step } from './api-client.js';
import { checkDeployName, EdgeProviderError } from './edge-provider-error.js';
import type {
  DeployResult,
  LogEvent,
  LogsOptions,
  Provider,
  ProviderCommonOptions,
} from './provider.js';

/** Options of {@link createSupabaseProvider}. */
export interface SupabaseProviderOptions extends ProviderCommonOptions {
  /** The project ref (the `abcdefghijklmnopqrst` of `abcdefghijklmnopqrst.supabase.co`). */
  projectRef: string;
  /** The function's slug. @default 'fedmcp-hub' */
  name?: string;
  /** @default 'https://api.supabase.com' */
  baseUrl?: string;
}

interface SupabaseFunction {
  id: string;
  slug: string;
  status: string;
  version: number;
}

interface LogRow {
  id: string;
  timestamp: number;
  event_message: string;
  level?: string;
}

/**
 * Creates the Supabase Edge Functions provider. The function is deployed with `verify_jwt:
 * false`: MCP clients carry the hub's own credentials, not a Supabase JWT.
 */
export function createSupabaseProvider(options: SupabaseProviderOptions): Provider {
  const slug = checkDeployName('supabase', options.name ?? 'fedmcp-hub');
  let secretValues: string[] = [];
  const client = createApiClient({
    provider: 'supabase',
    baseUrl: options.baseUrl ?? 'https://api.supabase.com',
    authorization: `Bearer ${options.token}`,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.dryRun === undefined ? {} : { dryRun: options.dryRun }),
    secrets: () => secretValues,
  });
  const project = `/v1/projects/${encodeURIComponent(options.projectRef)}`;
  const url = options.publicUrl ?? `https://${options.projectRef}.supabase.co/functions/v1/${slug}`;
  const readFunction = () =>
    client.send<SupabaseFunction>({
      method: 'GET',
      path: `${project}/functions/${encodeURIComponent(slug)}`,
      what: `Reading the function "${slug}"`,
      allowNotFound: true,
    });

  async function* logs(logsOptions: LogsOptions): AsyncGenerator<LogEvent> {
    const found = await readFunction();
    if (found === undefined)
      throw new EdgeProviderError(
        'supabase',
        'NOT_FOUND',
        `Reading the logs of "${slug}" failed: HTTP 404. Nothing is deployed under that name: deploy first, or check the name.`,
        { status: 404 },
      );
    const seen = new Set<string>();
    // Supabase timestamps are microseconds since the epoch.
    let since = Date.now() - 3_600_000;
    const sql = `select id, function_logs.timestamp, event_message, metadata.level from function_logs cross join unnest(metadata) as metadata where metadata.function_id = '${found.id.replace(/'/g, "''")}' order by timestamp asc limit 100`;
    do {
      const answer = await client.send<{ result?: LogRow[]; error?: unknown }>({
        method: 'GET',
        path: `${project}/analytics/endpoints/logs.all`,
        query: {
          sql,
          iso_timestamp_start: new Date(since).toISOString(),
          iso_timestamp_end: new Date().toISOString(),
        },
        what: `Reading the logs of "${slug}"`,
      });
      for (const row of answer?.result ?? []) {
        if (seen.has(row.id)) continue;
        seen.add(row.id);
        since = Math.max(since, Math.floor(row.timestamp / 1000));
        yield {
          timestamp: new Date(row.timestamp / 1000).toISOString(),
          level: row.level ?? 'log',
          message: row.event_message,
        };
      }
      if (!logsOptions.follow) return;
      await sleep(options.pollIntervalMs ?? 2000, logsOptions.signal);
    } while (!logsOptions.signal?.aborted);
  }

  return {
    id: 'supabase',
    plan(plan) {
      const files = plan.bundle?.files.length ?? 0;
      const secrets = Object.keys(plan.secrets ?? {}).length;
      return [
        {
          action: 'create-or-update',
          resource: `Edge Function "${slug}" in project ${options.projectRef} (${files} file${files === 1 ? '' : 's'}, verify_jwt off)`,
        },
        ...(secrets === 0
          ? []
          : [{ action: 'create-or-update' as const, resource: `${secrets} project secret(s)` }]),
      ];
    },

    async deploy(plan): Promise<DeployResult> {
      const bundle = plan.bundle;
      if (bundle === undefined || !bundle.files.some((file) => file.path === bundle.entry)) {
        throw new EdgeProviderError(
          'supabase',
          'INVALID',
          'A Supabase deploy needs a bundle whose files include its entry file.',
        );
      }
      secretValues = Object.values(plan.secrets ?? {});
      const metadata = {
        entrypoint_path: bundle.entry,
        name: slug,
        verify_jwt: false,
        static_patterns: [],
      };
      const form: FormPart[] = [{ name: 'metadata', content: JSON.stringify(metadata) }];
      for (const file of bundle.files)
        form.push({
          name: 'file',
          filename: file.path,
          contentType: 'application/octet-stream',
          content: file.content,
        });
      if (plan.config !== undefined)
        form.push({
          name: 'file',
          filename: 'fedmcp.config.json',
          contentType: 'application/octet-stream',
          content: plan.config,
        });
      await step(
        options.onProgress,
        'upload function',
        () =>
          client.send<SupabaseFunction>({
            method: 'POST',
            path: `${project}/functions/deploy`,
            query: { slug },
            form,
            what: `Deploying the function "${slug}"`,
          }),
        (deployed) =>
          deployed === undefined ? undefined : `version ${deployed.version}, ${deployed.status}`,
      );
      const secrets = Object.entries({ ...plan.vars, ...plan.secrets });
      if (secrets.length > 0) {
        await step(options.onProgress, 'set secrets', () =>
          client.send({
            method: 'POST',
            path: `${project}/secrets`,
            json: secrets.map(([name, value]) => ({ name, value })),
            what: 'Setting the project secrets',
          }),
        );
      }
      return { url, dryRun: options.dryRun === true, requests: client.requests, files: {} };
    },

    async status() {
      const found = await readFunction();
      if (found === undefined)
        return {
          state: 'missing',
          url,
          details: [`no function "${slug}"`],
          health: 'not deployed',
        };
      return {
        state: 'deployed',
        url,
        details: [`function ${found.slug} ${found.status}, version ${found.version}`],
        health: await hubHealth(options.fetch ?? globalThis.fetch, url),
      };
    },

    logs: (logsOptions = {}) => logs(logsOptions),

    async scale(): Promise<string[]> {
      throw new EdgeProviderError(
        'supabase',
        'UNSUPPORTED',
        'Supabase Edge Functions scale by themselves: there is no instance count to set.',
      );
    },

    async destroy() {
      await step(options.onProgress, 'delete function', () =>
        client.send({
          method: 'DELETE',
          path: `${project}/functions/${encodeURIComponent(slug)}`,
          what: `Deleting the function "${slug}"`,
        }),
      );
    },
  };
}
