/**
 * `hub.tls` on disk: reads the PEM files of the config, and watches them so a renewed certificate
 * (certbot, cert-manager, a rotated mTLS CA) is served without a restart.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { McpHttpHostTlsOptions } from '@fedmcp/transports/node';
import type { FedmcpConfig } from '../config/config-schema.js';

type TlsConfig = NonNullable<FedmcpConfig['hub']['tls']>;

/** The PEM file paths of `hub.tls`, relative ones resolved from `baseDirectory`. */
export function tlsFilePaths(tls: TlsConfig, baseDirectory: string): string[] {
  const at = (path: string) => (isAbsolute(path) ? path : join(baseDirectory, path));
  return [at(tls.cert), at(tls.key), ...(tls.ca ? [at(tls.ca)] : [])];
}

/**
 * Reads the certificate, key and CA files of `hub.tls`.
 * @throws Error naming the `hub.tls` key whose file cannot be read.
 */
export async function loadTlsFiles(
  tls: TlsConfig,
  baseDirectory: string,
): Promise<McpHttpHostTlsOptions> {
  const read = async (key: 'cert' | 'key' | 'ca', path: string) => {
    try {
      return await readFile(isAbsolute(path) ? path : join(baseDirectory, path));
    } catch (error) {
      throw new Error(
        `hub.tls.${key}: cannot read ${path} (${(error as Error).message}); give the path of a PEM file.`,
        { cause: error },
      );
    }
  };
  return {
    cert: await read('cert', tls.cert),
    key: await read('key', tls.key),
    ...(tls.ca ? { ca: await read('ca', tls.ca) } : {}),
    ...(tls.requestClientCert ? { requestClientCert: true } : {}),
  };
}

/** Options of {@link watchTlsFiles}. */
export interface WatchTlsFilesOptions {
  /** Called with the new material after the files changed and were read back. */
  onChange(material: McpHttpHostTlsOptions): void;
  /** Called when the changed files cannot be read or used (the old certificate keeps serving). */
  onError(error: unknown): void;
  /** Quiet time after the last change before reloading (cert and key are often written apart). @default 200 */
  debounceMs?: number;
}

/**
 * Watches the directories of the `hub.tls` files (so atomic renames are seen) and reloads the
 * material after a change. Returns the function that stops watching.
 */
export function watchTlsFiles(
  tls: TlsConfig,
  baseDirectory: string,
  options: WatchTlsFilesOptions,
): () => void {
  const files = new Set(tlsFilePaths(tls, baseDirectory).map((path) => resolve(path)));
  const directories = new Set([...files].map((path) => dirname(path)));
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    timer = undefined;
    loadTlsFiles(tls, baseDirectory).then(options.onChange, options.onError);
  };
  const watchers: FSWatcher[] = [...directories].map((directory) =>
    watch(directory, (_event, name) => {
      if (name && !files.has(resolve(directory, name.toString()))) return;
      clearTimeout(timer);
      timer = setTimeout(reload, options.debounceMs ?? 200);
    }),
  );
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
