// biome-ignore-all assist/source/organizeImports: the README example region stays verbatim.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// #region readme-example
import { createCloudflareProvider } from '@fedmcp/edge-providers';

const steps: string[] = [];
const cloudflare = createCloudflareProvider({
  token: process.env.CLOUDFLARE_API_TOKEN ?? '',
  accountId: 'my-account',
  name: 'my-hub',
  dryRun: true, // send nothing: return the requests it would send
  onProgress: (event) => steps.push(`${event.state} ${event.step}`),
});
const bundle = { entry: 'index.js', files: [{ path: 'index.js', content: 'export default {}' }] };
const plan = cloudflare.plan({ bundle }); // what it will create, before anything is sent
const { requests } = await cloudflare.deploy({ bundle, secrets: { HUB_KEY: 'k-123' } });
// requests[0]: PUT …/accounts/my-account/workers/scripts/my-hub, token and HUB_KEY redacted
// #endregion readme-example

describe('README example', () => {
  it('does what its comments say', () => {
    expect(plan.map((step) => step.resource)).toEqual([
      'Worker script "my-hub" (1 module, entry index.js)',
      'workers.dev route for "my-hub"',
    ]);
    expect(steps[0]).toBe('start upload worker script');
    expect(requests[0]?.method).toBe('PUT');
    expect(requests[0]?.url).toBe(
      'https://api.cloudflare.com/client/v4/accounts/my-account/workers/scripts/my-hub',
    );
    expect(requests[0]?.headers.authorization).toBe('Bearer [redacted]');
    expect(JSON.stringify(requests)).not.toContain('k-123');
    expect(JSON.stringify(requests)).toContain('[redacted]');
  });

  it('is the code shown in README.md', () => {
    const source = readFileSync(new URL('./readme-example.test.ts', import.meta.url), 'utf8');
    const region = source.split('// #region readme-example\n')[1]?.split('// #endregion')[0];
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = readme.split('```ts\n')[1]?.split('```')[0];
    expect(block).toBe(region);
    expect(block?.trim().split('\n').length).toBeLessThanOrEqual(15);
  });
});
