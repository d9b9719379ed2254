import { describe, expect, it } from 'vitest';

/**
 * Pins the public API of every package: a change to an export list shows up here, in review.
 * Update deliberately with `pnpm --filter @fedmcp/repo-tests test -u`.
 */
async function exportsOf(specifier: string): Promise<string[]> {
  const module: Record<string, unknown> = await import(/* @vite-ignore */ specifier);
  return Object.keys(module)
    .sort()
    .map((name) => `${name}: ${typeof module[name]}`);
}

describe('public exports', () => {
  it('@fedmcp/protocol', async () => {
    expect(await exportsOf('@fedmcp/protocol')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/transports', async () => {
    expect(await exportsOf('@fedmcp/transports')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/transports/node', async () => {
    expect(await exportsOf('@fedmcp/transports/node')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/store', async () => {
    expect(await exportsOf('@fedmcp/store')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/store/node', async () => {
    expect(await exportsOf('@fedmcp/store/node')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/proxy-auth', async () => {
    expect(await exportsOf('@fedmcp/proxy-auth')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/proxy-auth/node', async () => {
    expect(await exportsOf('@fedmcp/proxy-auth/node')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/federation', async () => {
    expect(await exportsOf('@fedmcp/federation')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/federation/node', async () => {
    expect(await exportsOf('@fedmcp/federation/node')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/runtime-features', async () => {
    expect(await exportsOf('@fedmcp/runtime-features')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/edge-providers', async () => {
    expect(await exportsOf('@fedmcp/edge-providers')).toMatchInlineSnapshot(`[]`);
  });
  it('@fedmcp/server', async () => {
    expect(await exportsOf('@fedmcp/server')).toMatchInlineSnapshot(`[]`);
  });
  it('fedmcp (the CLI as a library)', async () => {
    expect(await exportsOf('fedmcp')).toMatchInlineSnapshot(`
      [
        "runCli: function",
      ]
    `);
  });
});
