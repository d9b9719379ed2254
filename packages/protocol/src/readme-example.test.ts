// biome-ignore-all assist/source/organizeImports: the README example region stays verbatim.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEDMCP_ERROR_CODES } from './fedmcp-error-codes.js';
import { toHubResourceUri } from './resource-uri.js';
// #region readme-example
import { createNamespaceCodec, FedmcpError, recordHop } from '@fedmcp/protocol';

const codec = createNamespaceCodec();
const exposed = codec.tools.encode('github', 'create_issue'); // 'github__create_issue'
const { upstreamId, name } = codec.tools.decode(exposed); // 'github', 'create_issue'
const uri = codec.resources.encode('github', 'file:///a b.md'); // 'fedmcp://github/~file:///a%20b.md'

// Forwarding to a peer: refuse loops and append this hub to the hop trail.
const meta = recordHop({ 'io.fedmcp/hops': ['eu'] }, { selfId: 'us' }); // hops: eu, us
let wire: unknown;
try {
  recordHop(meta, { selfId: 'eu' }); // eu is already in the trail
} catch (error) {
  wire = FedmcpError.from(error).toJsonRpcError(); // code -32068, data.fedmcpCode 'LOOP_DETECTED'
}
// #endregion readme-example

describe('README example', () => {
  it('does what its comments say', () => {
    expect(exposed).toBe('github__create_issue');
    expect({ upstreamId, name }).toEqual({ upstreamId: 'github', name: 'create_issue' });
    expect(uri).toBe('fedmcp://github/~file:///a%20b.md');
    expect(codec.resources.decode(uri)).toEqual({ upstreamId: 'github', uri: 'file:///a b.md' });
    expect(meta).toEqual({ 'io.fedmcp/hops': ['eu', 'us'] });
    expect(wire).toMatchObject({ code: -32068, data: { fedmcpCode: 'LOOP_DETECTED' } });
  });

  it('is the code shown in README.md', () => {
    const source = readFileSync(new URL('./readme-example.test.ts', import.meta.url), 'utf8');
    const region = source.split('// #region readme-example\n')[1]!.split('// #endregion')[0]!;
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = readme.split('```ts\n')[1]!.split('```')[0]!;
    expect(block).toBe(region);
    expect(block.trim().split('\n').length).toBeLessThanOrEqual(15);
  });

  it('has the error code table of FEDMCP_ERROR_CODES', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` +\| (-\d+) +\| (\d+) +\| (.+?) +\|$/gm)].map(
      (match) => [match[1], Number(match[2]), Number(match[3]), match[4]],
    );
    expect(rows).toEqual(
      Object.entries(FEDMCP_ERROR_CODES).map(([code, info]) => [
        code,
        info.jsonRpcCode,
        info.httpStatus,
        info.description,
      ]),
    );
  });

  it('shows URI mappings that the code produces', () => {
    expect(toHubResourceUri('web', 'https://x.example/a?b=1#top')).toBe(
      'fedmcp://web/https://x.example/a?b=1#top',
    );
    expect(toHubResourceUri('notes', 'note://café/my note')).toBe(
      'fedmcp://notes/~note://caf%C3%A9/my%20note',
    );
    expect(toHubResourceUri('eu', toHubResourceUri('github', 'file:///a.md'))).toBe(
      'fedmcp://eu/fedmcp://github/file:///a.md',
    );
  });
});
