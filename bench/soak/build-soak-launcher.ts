/**
 * Bundles `soak-launcher.ts` with the fedmcp packages compiled from source into
 * `.build/soak-launcher.mjs`, so the hub runs on plain `node` (no TypeScript loader in the
 * measured process), with the gateway bench's bundler.
 */
import { buildLauncher } from '../gateway/build-launcher.js';

/** Builds the launcher; returns the path of the bundle. */
export function buildSoakLauncher(): Promise<string> {
  return buildLauncher({
    entry: new URL('./soak-launcher.ts', import.meta.url),
    outfile: new URL('./.build/soak-launcher.mjs', import.meta.url),
  });
}
