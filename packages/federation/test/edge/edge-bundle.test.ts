// The web root of @fedmcp/federation stays runnable at the edge: its module graph imports no
// `node:` module, and a worker serving the hub bundles (minified) under a size limit.

import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bundleEdge, nodeImportsOf, workerEntry } from './fixtures/bundle-edge.js';

const federationRoot = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
/**
 * The worker bundle's ceiling. Measured 2026-12-06: 1.04 MiB minified, 0.26 MiB gzip — a little
 * over the 1 MiB target, zod alone is 0.43 MiB of it (then the SDK v2 server and client, 0.2 MiB
 * each; the hub 0.1 MiB). The limit leaves ~20% room before the test asks for a look at what was
 * added (Workers allow 3 MiB gzipped on the free plan, 10 MiB paid).
 */
const WORKER_BUNDLE_LIMIT_BYTES = 1.25 * 1024 * 1024;

describe('the edge module graph', () => {
  it('the federation root imports no node: module', async () => {
    const { metafile } = await bundleEdge(federationRoot, false);
    expect(nodeImportsOf(metafile)).toEqual([]);
  });

  it(`a worker serving the hub bundles under ${WORKER_BUNDLE_LIMIT_BYTES} bytes minified`, async () => {
    const { code, metafile } = await bundleEdge(workerEntry);
    expect(nodeImportsOf(metafile)).toEqual([]);
    const gzip = gzipSync(code).byteLength;
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
    console.log(
      `worker bundle: ${code.byteLength} bytes (${mib(code.byteLength)}) minified, ${gzip} bytes (${mib(gzip)}) gzip`,
    );
    expect(code.byteLength).toBeLessThan(WORKER_BUNDLE_LIMIT_BYTES);
  });
});
