import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { ConfigError } from './config-error.js';
import type { FedmcpConfig } from './config-schema.js';
import { type LoadConfigOptions, loadConfig, parseConfig, readConfigFile } from './load-config.js';

/** Options of {@link watchConfig}. */
export interface WatchConfigOptions extends LoadConfigOptions {
  /**
   * Called with each valid new config, and the file's content as written (`${ENV}` and
   * `${secret:…}` references unresolved), which replicas announce to each other.
   */
  onChange: (config: FedmcpConfig, written: { raw: unknown }) => void | Promise<void>;
  /** Called when the file changed but cannot be used; the running config stays. */
  onError: (error: ConfigError | Error) => void;
  /**
   * Changes closer together than this are applied once.
   * @default 150
   */
  debounceMs?: number;
}

/**
 * Watches a config file and hands each valid new version to `onChange`. An invalid file is
 * reported to `onError` and ignored, so a typo never takes a running hub down. Watches the
 * directory, so editors that replace the file (write + rename) are seen too.
 * @returns a function that stops watching.
 */
export function watchConfig(file: string, options: WatchConfigOptions): () => void {
  const { debounceMs = 150 } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: string | undefined;
  const target = basename(file);
  const reload = async () => {
    try {
      const { raw, text } = await readConfigFile(file);
      const config = parseConfig(raw, file, {
        baseDirectory: dirname(resolve(file)),
        ...options,
        text,
      });
      const fingerprint = JSON.stringify(config);
      if (fingerprint === last) return;
      last = fingerprint;
      await options.onChange(config, { raw });
    } catch (error) {
      options.onError(error as Error);
    }
  };
  const watcher: FSWatcher = watch(dirname(file), (_event, name) => {
    if (name !== null && name !== target) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), debounceMs);
  });
  void loadConfig(file, options).then(
    (config) => {
      last ??= JSON.stringify(config);
    },
    () => {},
  );
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
