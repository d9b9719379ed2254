/**
 * Loads the MCP SDK packages (and `ws`) for the transport benchmarks from `@fedmcp/transports`'s own
 * dependencies, so the benchmark and the host share one copy of each module (the `bench`
 * workspace package does not depend on the SDK itself).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const transportsModules = fileURLToPath(
  new URL('../../packages/transports/node_modules/', import.meta.url),
);

type ExportTarget = string | { import?: ExportTarget; default?: ExportTarget };

function esmEntry(target: ExportTarget | undefined): string | undefined {
  if (target === undefined || typeof target === 'string') return target;
  return esmEntry(target.import ?? target.default);
}

/** Imports the ESM entry `subpath` (`.` or `./stdio`) of a package installed for transports. */
export async function importSdk<T>(name: string, subpath = '.'): Promise<T> {
  const directory = realpathSync(`${transportsModules}${name}`);
  const manifest = JSON.parse(readFileSync(`${directory}/package.json`, 'utf8')) as {
    exports: Record<string, ExportTarget>;
  };
  const entry = esmEntry(manifest.exports[subpath]);
  if (entry === undefined) throw new Error(`${name} has no ESM entry for ${subpath}`);
  return (await import(pathToFileURL(`${directory}/${entry}`).href)) as T;
}
