import type { ProviderId } from './provider.js';

/** What went wrong, as a code a caller can branch on. */
export type EdgeProviderErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'QUOTA'
  | 'INVALID'
  | 'UNSUPPORTED'
  | 'PROVIDER_ERROR';

/** Options of {@link EdgeProviderError}. */
export interface EdgeProviderErrorOptions {
  /** The HTTP status the platform answered. */
  status?: number;
  /** The platform's own error code (Cloudflare's `errors[].code`), when it gave one. */
  platformCode?: string | number;
  cause?: unknown;
}

const BRAND: unique symbol = Symbol.for('@fedmcp/edge-provider-error');

/**
 * A platform refused a request, or an operation does not exist there. The message says what
 * happened and what to do; it never contains the token.
 */
export class EdgeProviderError extends Error {
  readonly [BRAND] = true;
  readonly code: EdgeProviderErrorCode;
  readonly provider: ProviderId;
  readonly status: number | undefined;
  readonly platformCode: string | number | undefined;

  constructor(
    provider: ProviderId,
    code: EdgeProviderErrorCode,
    message: string,
    options: EdgeProviderErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EdgeProviderError';
    this.provider = provider;
    this.code = code;
    this.status = options.status;
    this.platformCode = options.platformCode;
  }

  /** True for an `EdgeProviderError` from any copy of this package. */
  static isInstance(value: unknown): value is EdgeProviderError {
    return typeof value === 'object' && value !== null && BRAND in value;
  }
}

/** Per platform: where the token comes from and what limits mean there. */
const advice: Record<
  ProviderId,
  Record<'token' | 'forbidden' | 'taken' | 'conflict' | 'quota' | 'size' | 'outage', string>
> = {
  cloudflare: {
    token:
      'Check CLOUDFLARE_API_TOKEN: create an API token with the "Workers Scripts: Edit" permission.',
    forbidden:
      'The token cannot do this on this account: check CLOUDFLARE_ACCOUNT_ID, and that the token is not expired and has the "Workers Scripts: Edit" permission on it.',
    taken: 'That name is taken: choose another with --name.',
    conflict: 'The Worker changed while deploying: run the command again.',
    quota:
      'A Cloudflare limit was reached (API: 1200 requests per 5 minutes; 100 Workers on the free plan): wait a few minutes, or delete unused Workers.',
    size: 'The Worker bundle is over the size limit (3 MiB compressed on the Free plan, 10 MiB on Paid): drop unused upstream code from the bundle, or move to the Paid plan.',
    outage:
      'Cloudflare failed on its side: run the command again in a few minutes; if it keeps failing, see https://www.cloudflarestatus.com.',
  },
  supabase: {
    token:
      'Check SUPABASE_ACCESS_TOKEN: create a personal access token (sbp_…) in the Supabase dashboard under Account > Access Tokens.',
    forbidden:
      'The token has no access to this project: check SUPABASE_PROJECT_REF and that the token belongs to a member of its organisation.',
    taken: 'That name is taken: choose another with --name.',
    conflict: 'The function changed while deploying: run the command again.',
    quota:
      "The Supabase Management API limit (requests per minute) or the plan's limit on Edge Functions was reached: wait a minute, or delete unused functions.",
    size: 'The function bundle is over the Edge Functions size limit (20 MB): drop unused code from the bundle.',
    outage:
      'Supabase failed on its side: run the command again in a few minutes; if it keeps failing, see https://status.supabase.com.',
  },
  fly: {
    token: 'Check FLY_API_TOKEN: create one with `fly tokens create deploy` (or `fly auth token`).',
    forbidden: 'The token cannot manage this app or organisation: check the app name and --org.',
    taken: 'That app name is taken (Fly app names are global): choose another with --name.',
    conflict:
      'Another deploy or `fly` command holds the lease on a machine of this app: wait for it to finish (leases expire after a few minutes), then run the command again.',
    quota:
      "A Fly.io limit was reached (API rate limit or the organisation's machine quota): wait a minute, or remove unused machines.",
    size: 'The request is over a Fly.io size limit: make the hub config smaller.',
    outage:
      'Fly.io failed on its side: run the command again in a few minutes; if it keeps failing, see https://status.flyio.net.',
  },
};

/** The platform's own message and code out of an error body (each platform's envelope). */
function platformDetail(body: unknown): { message?: string; code?: string | number } {
  if (typeof body !== 'object' || body === null) {
    return typeof body === 'string' && body.length > 0 ? { message: body.slice(0, 300) } : {};
  }
  const record = body as Record<string, unknown>;
  const first = Array.isArray(record.errors) ? (record.errors[0] as Record<string, unknown>) : {};
  const message = first?.message ?? record.message ?? record.error ?? record.msg;
  const code = first?.code ?? record.code;
  return {
    ...(typeof message === 'string' ? { message: message.slice(0, 300) } : {}),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
  };
}

/**
 * Platform codes that mean a limit whatever the HTTP status: Cloudflare's 10037 (the account
 * holds as many Workers as its plan allows, answered as a 400).
 */
const quotaCodes: ReadonlySet<string | number> = new Set([10037, '10037']);

/**
 * Platform codes that mean the token itself is wrong whatever the HTTP status: Cloudflare's 1000
 * "Invalid API Token", 6003 / 6111 (a malformed Authorization header), 9109 (an invalid token).
 */
const tokenCodes: ReadonlySet<string | number> = new Set([1000, 6003, 6111, 9109]);

/**
 * Turns a platform's error answer into an {@link EdgeProviderError} whose message says what to
 * do: 401 → the token, 403 → the account or project, 409 / 422 "taken" → the name, another 409
 * → a concurrent change (Fly: a held machine lease),
 * 429 / 402 (and Cloudflare's code 10037) → the quota, 413 / Cloudflare 10027 / "size exceeds" →
 * the bundle size, 404 → nothing deployed, 5xx → retry later.
 */
export function explainProviderError(
  provider: ProviderId,
  what: string,
  status: number,
  body: unknown,
): EdgeProviderError {
  const detail = platformDetail(body);
  const said = detail.message === undefined ? '' : ` (${detail.message})`;
  const head = `${what} failed: HTTP ${status}${said}.`;
  const options = { status, ...(detail.code === undefined ? {} : { platformCode: detail.code }) };
  const tips = advice[provider];
  const taken = /taken|already exists|not unique|must be unique/i.test(detail.message ?? '');
  if (status === 401 || (provider === 'cloudflare' && tokenCodes.has(detail.code ?? '')))
    return new EdgeProviderError(provider, 'UNAUTHENTICATED', `${head} ${tips.token}`, options);
  if (status === 403)
    return new EdgeProviderError(provider, 'FORBIDDEN', `${head} ${tips.forbidden}`, options);
  if ((status === 409 || status === 422) && taken)
    return new EdgeProviderError(provider, 'CONFLICT', `${head} ${tips.taken}`, options);
  if (status === 409)
    return new EdgeProviderError(provider, 'CONFLICT', `${head} ${tips.conflict}`, options);
  const tooLarge =
    status === 413 ||
    (provider === 'cloudflare' && detail.code === 10027) ||
    /size exceeds|too large/i.test(detail.message ?? '');
  if (tooLarge && status < 500)
    return new EdgeProviderError(provider, 'QUOTA', `${head} ${tips.size}`, options);
  if (status === 429 || status === 402 || quotaCodes.has(detail.code ?? ''))
    return new EdgeProviderError(provider, 'QUOTA', `${head} ${tips.quota}`, options);
  if (status === 404)
    return new EdgeProviderError(
      provider,
      'NOT_FOUND',
      `${head} Nothing is deployed under that name: deploy first, or check the name.`,
      options,
    );
  if (status >= 400 && status < 500) {
    return new EdgeProviderError(
      provider,
      'INVALID',
      `${head} The platform refused the request as sent; this is a fedmcp bug if the message does not name something you set.`,
      options,
    );
  }
  return new EdgeProviderError(
    provider,
    'PROVIDER_ERROR',
    `${head} ${status >= 500 ? tips.outage : 'The platform answered something unexpected: try again later.'}`,
    options,
  );
}

/** Each platform's documented naming rule, and how to say it. */
const nameRules: Record<ProviderId, { pattern: RegExp; rule: string }> = {
  cloudflare: {
    pattern: /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/,
    rule: 'a Worker name is 1 to 63 lowercase letters, digits, dashes and underscores, starting and ending with a letter or digit',
  },
  supabase: {
    pattern: /^[A-Za-z][A-Za-z0-9_-]{0,62}$/,
    rule: 'a function slug starts with a letter and holds letters, digits, dashes and underscores (at most 63)',
  },
  fly: {
    pattern: /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    rule: 'a Fly app name is 1 to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit',
  },
};

/**
 * The name (Worker, function slug, Fly app) when the platform accepts it; otherwise an
 * `INVALID` {@link EdgeProviderError} saying the rule, before any request is sent.
 */
export function checkDeployName(provider: ProviderId, name: string): string {
  const { pattern, rule } = nameRules[provider];
  if (pattern.test(name)) return name;
  throw new EdgeProviderError(
    provider,
    'INVALID',
    `${JSON.stringify(name.slice(0, 80))} cannot be used as a name on ${provider}: ${rule}. Choose another with --name.`,
  );
}
