// The web root of @fedmcp/federation stays runnable at the edge: its module graph imports no
// `node:` module, and a worker serving the hub bundles (minified) under a size limit.

import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bundleEdge, nodeImportsOf, workerEntry } from './fixtures/bundle-edge.js';

const federationRoot = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
/**
 * The worker bundle's ceiling: the 1 MiB target. Measured 2026-12-06: 0.72 MiB minified, 0.21 MiB
 * gzip (was 1.04 MiB while our modules imported `{ z }` from zod: that value export is the whole
 * `z` namespace, so every zod locale (0.25 MiB) and all of zod classic were kept; `import * as z`
 * lets esbuild keep only what is used). Now the SDK v2 server and client are 0.2 MiB each, zod
 * core 0.08 MiB, the hub 0.1 MiB.
 */
const WORKER_BUNDLE_LIMIT_BYTES = 1024 * 1024;

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
