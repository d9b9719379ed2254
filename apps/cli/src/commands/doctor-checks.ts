/**
 * The checks of `fedmcp doctor`, each one line with its fix: state directory, port, upstream
 * commands, stores, TLS files, clock skew and peer discovery.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { discoverPeer } from '@fedmcp/federation';
import type { FedmcpConfig } from '@fedmcp/server';
import { findRunningHub } from './running-hub.js';

/** The result of one check. */
export interface DoctorCheck {
  status: 'ok' | 'warn' | 'fail';
  /** What was checked, one word (`port`, `upstream github`). */
  name: string;
  /** What was found. */
  detail: string;
  /** What to do about a warning or failure. */
  fix?: string;
}

/** What the network checks may take; injectable for tests. */
export interface DoctorOptions {
  fetch?: typeof fetch;
  /** Per network check. @default 3000 */
  timeoutMs?: number;
  /** The clock. @default Date.now */
  now?: () => number;
  /** The PATH upstream commands are looked up in. @default process.env.PATH */
  path?: string;
}

const ok = (name: string, detail: string): DoctorCheck => ({ status: 'ok', name, detail });
const fail = (name: string, detail: string, fix: string): DoctorCheck => ({
  status: 'fail',
  name,
  detail,
  fix,
});
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The data directory exists (or can be made) and takes a file. */
export async function checkStateDirectory(config: FedmcpConfig): Promise<DoctorCheck> {
  const directory = config.hub.dataDir;
  const probe = join(directory, `.doctor-${process.pid}`);
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFile(probe, '', { mode: 0o600 });
    await rm(probe);
    return ok('state', `${directory} is writable`);
  } catch (error) {
    return fail(
      'state',
      `${directory} is not writable (${message(error)})`,
      'set hub.dataDir to a folder this user can write, or fix its permissions',
    );
  }
}

/** The configured port is free, or a fedmcp hub of this config already serves it. */
export async function checkPort(
  config: FedmcpConfig,
  options: DoctorOptions,
): Promise<DoctorCheck> {
  const { host, port } = config.hub;
  if (port === 0) return ok('port', 'hub.port is 0: any free port is taken at start');
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = createServer();
    server.once('error', (failure) => resolve(failure));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
  if (!error) return ok('port', `${host}:${port} is free`);
  if (error.code === 'EADDRINUSE') {
    const running = await findRunningHub(config, {
      ...options,
      timeoutMs: options.timeoutMs ?? 3000,
    });
    if (running) return ok('port', `a fedmcp hub already serves ${running}`);
    return fail(
      'port',
      `${host}:${port} is in use by another program`,
      'stop that program, or set hub.port (or serve --port N) to a free port',
    );
  }
  return fail(
    'port',
    `cannot listen on ${host}:${port} (${error.code ?? error.message})`,
    'set hub.host to an address of this machine',
  );
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Each stdio upstream's command is an executable file, or found on PATH. */
export async function checkUpstreamCommands(
  config: FedmcpConfig,
  options: DoctorOptions,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const searchPath = (options.path ?? process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const [name, entry] of Object.entries(config.mcpServers)) {
    if (!('command' in entry)) continue;
    const command = entry.command;
    const candidates =
      isAbsolute(command) || command.includes('/')
        ? [join(entry.cwd ?? '', command)]
        : searchPath.map((folder) => join(folder, command));
    let found: string | undefined;
    for (const candidate of candidates) {
      if (await isExecutable(candidate)) {
        found = candidate;
        break;
      }
    }
    checks.push(
      found
        ? ok(`upstream ${name}`, `command ${found}`)
        : fail(
            `upstream ${name}`,
            `command "${command}" is not ${isAbsolute(command) ? 'an executable file' : 'on PATH'}`,
            `install it, or set mcpServers.${name}.command to its absolute path (hosts such as Claude Desktop start the hub with a short PATH)`,
          ),
    );
  }
  return checks;
}

/** A TCP connection to a `redis://` or `postgres://` store opens. */
export async function checkStore(
  config: FedmcpConfig,
  options: DoctorOptions,
): Promise<DoctorCheck> {
  const store = config.store ?? `sqlite:${join(config.hub.dataDir, 'state.db')}`;
  if (!/^(redis|rediss|postgres|postgresql):\/\//.test(store)) {
    return ok(
      'store',
      store.startsWith('memory:') ? 'in memory (nothing kept after a stop)' : store,
    );
  }
  const url = new URL(store);
  const port = Number(url.port || (url.protocol.startsWith('redis') ? 6379 : 5432));
  const shown = `${url.protocol}//${url.hostname}:${port}`;
  const error = await new Promise<Error | undefined>((resolve) => {
    const socket = createConnection({ host: url.hostname, port });
    socket.setTimeout(options.timeoutMs ?? 3000, () => socket.destroy(new Error('timed out')));
    socket.once('connect', () => {
      socket.end();
      resolve(undefined);
    });
    socket.once('error', resolve);
  });
  return error
    ? fail(
        'store',
        `${shown} cannot be reached (${error.message})`,
        'start the server, or fix the host and port in "store"',
      )
    : ok('store', `${shown} is reachable`);
}

/** The TLS certificate and key load, belong together, and the certificate is valid for 14+ days. */
export async function checkTls(
  config: FedmcpConfig,
  options: DoctorOptions,
): Promise<DoctorCheck[]> {
  const tls = config.hub.tls;
  if (!tls) return [];
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(await readFile(tls.cert));
    const key = createPrivateKey(await readFile(tls.key));
    if (!certificate.checkPrivateKey(key)) {
      return [
        fail(
          'tls',
          `${tls.key} is not the key of ${tls.cert}`,
          "point hub.tls.key at the certificate's own private key",
        ),
      ];
    }
  } catch (error) {
    return [
      fail(
        'tls',
        `cannot load ${tls.cert} / ${tls.key} (${message(error)})`,
        'fix hub.tls.cert and hub.tls.key: PEM files this user can read',
      ),
    ];
  }
  const now = (options.now ?? Date.now)();
  const expires = new Date(certificate.validTo).getTime();
  const days = Math.floor((expires - now) / 86_400_000);
  if (expires <= now) {
    return [
      fail(
        'tls',
        `the certificate expired on ${new Date(expires).toISOString()}`,
        'renew it; the hub reloads the files when they change',
      ),
    ];
  }
  if (days < 14) {
    return [
      {
        status: 'warn',
        name: 'tls',
        detail: `the certificate expires in ${days} days`,
        fix: 'renew it soon; the hub reloads the files when they change',
      },
    ];
  }
  return [ok('tls', `certificate valid until ${new Date(expires).toISOString().slice(0, 10)}`)];
}

/**
 * The clock against the HTTP `Date` of the first remote upstream or peer: peer tokens live for
 * minutes, so a clock off by more than 30 seconds makes peers refuse them.
 */
export async function checkClock(
  config: FedmcpConfig,
  options: DoctorOptions,
): Promise<DoctorCheck> {
  const remote = [
    ...Object.values(config.mcpServers).flatMap((entry) => ('url' in entry ? [entry.url] : [])),
    ...Object.values(config.peers ?? {}).map((peer) => peer.url),
  ].find((url) => /^https?:/.test(url));
  if (!remote) return ok('clock', 'no remote upstream or peer to compare with');
  const now = options.now ?? Date.now;
  try {
    const sent = now();
    const response = await (options.fetch ?? fetch)(remote, {
      method: 'HEAD',
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
    await response.body?.cancel();
    const date = response.headers.get('date');
    if (!date) return ok('clock', `${new URL(remote).host} sent no Date header to compare with`);
    // HTTP dates have whole seconds: compare with the middle of the round trip.
    const skewSeconds = Math.round((Date.parse(date) - (sent + now()) / 2) / 1000);
    if (Math.abs(skewSeconds) > 30) {
      return fail(
        'clock',
        `this clock is ${Math.abs(skewSeconds)} s ${skewSeconds > 0 ? 'behind' : 'ahead of'} ${new URL(remote).host}`,
        'synchronise it (NTP: timedatectl set-ntp true); peers refuse tokens from a skewed clock',
      );
    }
    return ok('clock', `within ${Math.max(1, Math.abs(skewSeconds))} s of ${new URL(remote).host}`);
  } catch (error) {
    return {
      status: 'warn',
      name: 'clock',
      detail: `${new URL(remote).host} did not answer (${message(error)})`,
      fix: 'check that the upstream or peer is up',
    };
  }
}

/** Each peer serves its discovery document and keys, matching a pinned fingerprint. */
export async function checkPeers(
  config: FedmcpConfig,
  options: DoctorOptions,
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const [id, peer] of Object.entries(config.peers ?? {})) {
    try {
      const found = await discoverPeer(peer.url, {
        timeoutMs: options.timeoutMs ?? 3000,
        ...(options.fetch ? { fetch: options.fetch } : {}),
        ...(peer.jwksUri ? { jwksUri: peer.jwksUri } : {}),
      });
      const pins = peer.fingerprint === undefined ? [] : [peer.fingerprint].flat();
      if (pins.length > 0 && !found.fingerprints.some((print) => pins.includes(print))) {
        checks.push(
          fail(
            `peer ${id}`,
            `${peer.url} serves keys ${found.fingerprints.join(', ')}, none pinned`,
            `if the peer rotated its key, pin the new one (fedmcp peers add ${peer.url} --pin)`,
          ),
        );
        continue;
      }
      checks.push(
        ok(
          `peer ${id}`,
          `${found.document.hubId} at ${found.document.endpoint} (${found.fingerprints.length} key${found.fingerprints.length === 1 ? '' : 's'})`,
        ),
      );
    } catch (error) {
      checks.push(
        fail(
          `peer ${id}`,
          `discovery at ${peer.url} failed (${message(error)})`,
          'check that the peer runs and its URL in peers.<id>.url',
        ),
      );
    }
  }
  return checks;
}

/** Every check, in the order `fedmcp doctor` prints them. */
export async function runDoctorChecks(
  config: FedmcpConfig,
  options: DoctorOptions = {},
): Promise<DoctorCheck[]> {
  const [state, port, commands, store, tls, clock, peers] = await Promise.all([
    checkStateDirectory(config),
    checkPort(config, options),
    checkUpstreamCommands(config, options),
    checkStore(config, options),
    checkTls(config, options),
    checkClock(config, options),
    checkPeers(config, options),
  ]);
  return [state, port, ...commands, store, ...tls, clock, ...peers];
}
