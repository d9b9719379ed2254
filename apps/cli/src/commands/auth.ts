import { spawn } from 'node:child_process';
import { dirname, isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createAuditLog,
  createStreamAuditSink,
  generateApiKey,
  hashApiKey,
} from '@fedmcp/proxy-auth';
import { loginUpstream, logoutUpstream, resolveConfigSecrets } from '@fedmcp/server';
import { createStore } from '@fedmcp/store/node';
import type { CliIo } from '../cli-io.js';
import { CliUsageError, credentialHeaders } from './connect-target.js';
import { adminBaseOf, loginThroughHub } from './deploy-hub-login.js';
import { resolveConfig } from './resolve-config.js';

const usage =
  'Usage: fedmcp auth new-key [--subject NAME] [--group G…] [--scope S…]  (prints a new API key and the config entry with its hash)\n' +
  '       fedmcp auth login <upstream> [--config FILE] [--port N] [--no-browser]  (authorizes the hub at an OAuth-protected upstream)\n' +
  '       fedmcp auth login <upstream> --hub URL [--token KEY] [--no-browser]  (the same for a deployed hub, through its admin API; the key needs the "admin" scope, default $FEDMCP_ADMIN_KEY)\n' +
  '       fedmcp auth logout <upstream> [--subject S [--issuer ISS]] [--config FILE]  (revokes and forgets the hub\'s tokens there, or those of user S — of issuer ISS for OAuth users — with "mode": "user")\n';

/** Opens `url` in the desktop's browser when there is one; the URL is printed either way. */
function openBrowser(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => {});
  child.unref();
}

/**
 * The config (secrets resolved) and the hub's store and credential key file, where upstream
 * OAuth tokens live; or the exit code when the config keeps nothing (the in-memory store).
 */
async function openTokenStore(command: string, configPath: string | undefined, io: CliIo) {
  const { config: raw, file } = await resolveConfig(configPath);
  if (raw.store === 'memory:') {
    io.stderr(
      `fedmcp auth ${command}: the config uses the in-memory store; tokens stored there would live only in this command.\n`,
    );
    return 1;
  }
  const baseDirectory = file ? dirname(file) : process.cwd();
  const config = await resolveConfigSecrets(raw, {
    baseDirectory,
    env: process.env,
    secretValues: new Set(),
  });
  const dataDir = isAbsolute(config.hub.dataDir)
    ? config.hub.dataDir
    : join(baseDirectory, config.hub.dataDir);
  const store = await createStore(config.store ?? `sqlite:${join(dataDir, 'state.db')}`);
  return { config, store, keyFile: join(dataDir, 'oauth-credentials.key') };
}

/**
 * `fedmcp auth login <upstream>`: prints the authorization URL (and opens a browser when it can),
 * waits for the redirect on 127.0.0.1, and stores the hub's tokens for that upstream, encrypted,
 * in the hub's store.
 */
async function loginCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      hub: { type: 'string' },
      token: { type: 'string' },
      'no-browser': { type: 'boolean', default: false },
    },
  });
  const [upstreamId] = positionals;
  if (!upstreamId || positionals.length > 1) {
    io.stderr(`fedmcp auth login: name one upstream. ${usage}`);
    return 2;
  }
  if (values.hub !== undefined) return loginAtHub(upstreamId, { ...values, hub: values.hub }, io);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    io.stderr(`fedmcp auth login: --port must be a port number (0–65535), not "${values.port}".\n`);
    return 2;
  }
  const opened = await openTokenStore('login', values.config, io);
  if (typeof opened === 'number') return opened;
  const { config, store, keyFile } = opened;
  try {
    const { scope, mode } = await loginUpstream({
      config,
      upstreamId,
      kv: store.kv,
      keyFile,
      port,
      onAuthorizationUrl: (url) => {
        io.stdout(`Open this URL to authorize fedmcp at "${upstreamId}":\n  ${url.href}\n`);
        if (!values['no-browser']) openBrowser(url.href);
      },
    });
    io.stdout(
      mode === 'user'
        ? `Authorized: the hub now lists the catalog of "${upstreamId}" with its own token${scope ? ` (scope: ${scope})` : ''}; each user's calls still use that user's own sign-in.\n`
        : `Authorized: the hub now connects to "${upstreamId}" with its own token${scope ? ` (scope: ${scope})` : ''}, and refreshes it.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `fedmcp auth login <upstream> --hub URL`: the deployed hub's own login, through its admin API
 * (`deploy-hub-login.ts`): prints the authorization URL (and opens a browser when it can), then
 * waits until the hub holds its tokens and has connected the upstream.
 */
async function loginAtHub(
  upstreamId: string,
  values: { hub: string; token?: string | undefined; 'no-browser'?: boolean },
  io: CliIo,
): Promise<number> {
  const token = values.token ?? process.env.FEDMCP_ADMIN_KEY;
  let headers: Record<string, string>;
  try {
    adminBaseOf(values.hub);
    headers = credentialHeaders({ token });
  } catch (error) {
    io.stderr(
      `fedmcp auth login: ${error instanceof CliUsageError ? error.message : `--hub must be a URL, not "${values.hub}".`}\n`,
    );
    return 2;
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  try {
    await loginThroughHub({
      hubUrl: values.hub,
      upstreamId,
      headers,
      signal: stop.signal,
      onAuthorizationUrl: (url) => {
        io.stdout(`Open this URL to authorize the hub at "${upstreamId}":\n  ${url}\n`);
        if (!values['no-browser']) openBrowser(url);
      },
      onProgress: (message) => io.stderr(`${message}\n`),
    });
  } catch (error) {
    io.stderr(`fedmcp auth login: ${(error as Error).message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
  }
  io.stdout(
    `Authorized: the hub now connects to "${upstreamId}" with its own token, and refreshes it.\n`,
  );
  return 0;
}

/**
 * `fedmcp auth logout <upstream> [--subject S]`: deletes the stored tokens of the hub (or of the
 * caller S, for a `"mode": "user"` upstream) at that upstream; the revocation is audited.
 */
async function logoutCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      subject: { type: 'string' },
      issuer: { type: 'string' },
    },
  });
  const [upstreamId] = positionals;
  if (!upstreamId || positionals.length > 1 || values.subject === '' || values.issuer === '') {
    io.stderr(`fedmcp auth logout: name one upstream (and a non-empty --subject). ${usage}`);
    return 2;
  }
  const opened = await openTokenStore('logout', values.config, io);
  if (typeof opened === 'number') return opened;
  const { config, store, keyFile } = opened;
  try {
    const deleted = await logoutUpstream({
      config,
      upstreamId,
      ...(values.subject !== undefined && { subject: values.subject }),
      ...(values.issuer !== undefined && { issuer: values.issuer }),
      kv: store.kv,
      keyFile,
      audit: createAuditLog({ sinks: [createStreamAuditSink(store.streams)] }),
    });
    const holder = values.subject === undefined ? 'the hub' : `"${values.subject}"`;
    io.stdout(
      deleted
        ? `Logged out: ${holder} has no token for "${upstreamId}" any more.\n`
        : `Nothing to do: ${holder} had no token for "${upstreamId}".\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

/**
 * `fedmcp auth new-key [--subject NAME] [--group G] [--scope S]`: makes a new API key and prints
 * it once, with the `auth.apiKeys` entry (its SHA-256 hash, never the key) to paste into the config.
 */
export async function authCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand === 'login') return loginCommand(rest, io);
  if (subcommand === 'logout') return logoutCommand(rest, io);
  if (subcommand !== 'new-key') {
    io.stderr(`fedmcp auth: unknown subcommand "${subcommand ?? ''}". ${usage}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      subject: { type: 'string', default: 'api-client' },
      group: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
  });
  const key = generateApiKey();
  const entry = {
    hash: await hashApiKey(key),
    subject: values.subject,
    ...(values.group?.length ? { groups: values.group } : {}),
    ...(values.scope?.length ? { scopes: values.scope } : {}),
  };
  if (values.json) {
    io.stdout(`${JSON.stringify({ key, entry })}\n`);
    return 0;
  }
  io.stdout(
    `API key (shown once; give it to the client, which sends "Authorization: Bearer <key>" or "X-API-Key: <key>"):\n` +
      `  ${key}\n\n` +
      `Add this entry to "auth": { "apiKeys": [ … ] } in fedmcp.config.json (it holds only the hash):\n` +
      `${JSON.stringify(entry, null, 2)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n')}\n`,
  );
  return 0;
}
