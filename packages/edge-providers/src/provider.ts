/**
 * The one interface every edge platform implements, and the values that travel through it.
 * Web-standard only (fetch, FormData, Blob, WebSocket): the package runs in Node, Deno and workerd.
 */

/** One file of the code to deploy (a worker module, a function source file). */
export interface BundleFile {
  /** The path relative to the bundle root, with `/` separators, e.g. `index.js`. */
  path: string;
  /** The file's content. */
  content: string | Uint8Array;
}

/**
 * The code a provider uploads: the files and which one is the entry point. The caller builds it
 * (the web-standard hub bundle is produced elsewhere); Fly.io runs the hub's image instead.
 */
export interface Bundle {
  /** The path (one of `files`) that is the entry module, e.g. `index.js`. */
  entry: string;
  /** Every file to upload. */
  files: readonly BundleFile[];
}

/** What to deploy: the code, the hub's config, plain variables and secrets. */
export interface DeployPlan {
  /** The code (Cloudflare and Supabase need it; Fly.io runs `image`). */
  bundle?: Bundle;
  /** The hub's config file text (JSON), shipped beside the code. @default not shipped */
  config?: string;
  /** Plain environment variables. @default {} */
  vars?: Readonly<Record<string, string>>;
  /** Secret environment variables: sent to the platform's secret store, never recorded in clear. @default {} */
  secrets?: Readonly<Record<string, string>>;
}

/** One thing a deploy will create or change, listed by {@link Provider.plan} before anything is sent. */
export interface PlannedStep {
  /** `create`, `update` or `create-or-update` (the provider does not know before asking). */
  action: 'create' | 'update' | 'create-or-update';
  /** What, e.g. `Worker script "fedmcp-hub" (2 modules)`. */
  resource: string;
}

/** A step of a long operation, reported through `onProgress` when it starts and when it ends. */
export interface ProgressEvent {
  /** The step, e.g. `upload worker script`. */
  step: string;
  /** `start` before the step's requests, `done` after them. */
  state: 'start' | 'done';
  /** Extra information on `done` (a URL, a version). */
  detail?: string;
}

/** A request a provider sent (or, with `dryRun`, would send), credentials and secret values redacted. */
export interface RecordedRequest {
  method: string;
  url: string;
  /** The request headers; the authorization header reads `Bearer [redacted]`. */
  headers: Record<string, string>;
  /** A JSON body, as sent (secret values replaced by `[redacted]`). */
  json?: unknown;
  /** A multipart body: its parts in order (secret values replaced by `[redacted]`). */
  parts?: Array<{ name: string; filename?: string; contentType?: string; content: string }>;
}

/** What {@link Provider.deploy} returns. */
export interface DeployResult {
  /** The public URL of the deployed hub. */
  url: string;
  /** True when nothing was sent (`dryRun`). */
  dryRun: boolean;
  /** The requests sent, or with `dryRun` those it would send. */
  requests: RecordedRequest[];
  /** Files the caller may write next to its config, e.g. `fly.toml`. @default {} */
  files: Record<string, string>;
}

/** What {@link Provider.status} reports. */
export interface ProviderStatus {
  /** `deployed` when the platform has it, `missing` when it does not. */
  state: 'deployed' | 'missing';
  /** The public URL. */
  url: string;
  /** The platform's own words: a deployment id, a function status, machine states. */
  details: string[];
  /** The hub's `/healthz`: `ok`, or why not (`HTTP 503`, `unreachable: …`). */
  health: string;
}

/** One log line. */
export interface LogEvent {
  /** ISO 8601. */
  timestamp: string;
  /** `log`, `info`, `warn`, `error`, `request`, … as the platform says. */
  level: string;
  message: string;
}

/** Options of {@link Provider.logs}. */
export interface LogsOptions {
  /** Keep waiting for new lines until `signal` aborts. @default false (recent lines, then end) */
  follow?: boolean;
  /** Ends the iteration (and closes the tail) when aborted. */
  signal?: AbortSignal;
}

/** Options of {@link Provider.scale}. */
export interface ScaleOptions {
  /** Fly's `autostop`: stop (or suspend) idle machines. @default unchanged */
  autoStop?: 'off' | 'stop' | 'suspend';
  /** Fly's `min_machines_running`: machines kept running in the primary region. @default unchanged */
  minMachinesRunning?: number;
}

/** A deploy target. Create one with `createCloudflareProvider`, `createSupabaseProvider` or `createFlyProvider`. */
export interface Provider {
  /** `cloudflare`, `supabase` or `fly`. */
  readonly id: ProviderId;
  /** What {@link deploy} will create or update, without sending anything. */
  plan(plan: DeployPlan): PlannedStep[];
  /** Uploads and activates the hub; each step is reported through `onProgress`. */
  deploy(plan: DeployPlan): Promise<DeployResult>;
  /** The platform's view of the deployment, and the hub's `/healthz`. */
  status(): Promise<ProviderStatus>;
  /** Log lines: recent ones, or with `follow` live ones until `signal` aborts. */
  logs(options?: LogsOptions): AsyncIterable<LogEvent>;
  /**
   * Sets the number of instances. Only Fly.io has one; Cloudflare and Supabase scale by
   * themselves and throw an {@link EdgeProviderError} `UNSUPPORTED`.
   */
  scale(count: number, options?: ScaleOptions): Promise<string[]>;
  /** Deletes what {@link deploy} created. */
  destroy(): Promise<void>;
}

/** The providers there are. */
export type ProviderId = 'cloudflare' | 'supabase' | 'fly';

/** Options every provider takes. */
export interface ProviderCommonOptions {
  /** The API token. Sent only in the authorization header; never recorded or put in an error. */
  token: string;
  /** The `fetch` to call the API with. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Called when each step starts and ends. @default no reporting */
  onProgress?: (event: ProgressEvent) => void;
  /** Record the requests instead of sending them (reads answer "not found"). @default false */
  dryRun?: boolean;
  /** How often `logs({ follow: true })` polls, where the platform has no push. @default 2000 */
  pollIntervalMs?: number;
  /** The hub's public base URL, when it is not the platform's default (a custom domain). */
  publicUrl?: string;
}
