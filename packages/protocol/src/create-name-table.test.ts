import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createNameTable } from './create-name-table.js';
import { FedmcpError } from './fedmcp-error.js';
import { isValidMcpToolName } from './mcp-tool-name.js';
import { NotFoundError } from './not-found-error.js';

const upstreamId = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/);
const validName = fc.stringMatching(/^[A-Za-z0-9_.-]{1,128}$/);
const anyName = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 150 });

describe('createNameTable', () => {
  it('prefixes names with the upstream id and maps them back', () => {
    const tools = createNameTable();
    expect(tools.encode('github', 'create_issue')).toBe('github__create_issue');
    expect(tools.decode('github__create_issue')).toEqual({
      upstreamId: 'github',
      name: 'create_issue',
    });
    expect(tools.size).toBe(1);
  });

  it('round-trips any valid name of any upstream', () => {
    fc.assert(
      fc.property(upstreamId, validName, (id, name) => {
        const tools = createNameTable();
        const exposed = tools.encode(id, name);
        expect(exposed.length).toBeLessThanOrEqual(64);
        expect(isValidMcpToolName(exposed)).toBe(true);
        expect(tools.decode(exposed)).toEqual({ upstreamId: id, name });
        expect(tools.encode(id, name)).toBe(exposed);
      }),
    );
  });

  it('round-trips names that break the MCP rules, sanitising what it exposes', () => {
    fc.assert(
      fc.property(upstreamId, anyName, (id, name) => {
        const tools = createNameTable();
        const exposed = tools.encode(id, name);
        expect(isValidMcpToolName(exposed)).toBe(true);
        expect(exposed.length).toBeLessThanOrEqual(64);
        expect(tools.decode(exposed)).toEqual({ upstreamId: id, name });
      }),
    );
    const tools = createNameTable();
    const slash = tools.encode('files', 'user/profile');
    const space = tools.encode('files', 'user profile');
    expect(slash).toMatch(/^files__user_profile_[0-9a-v]{10}$/);
    expect(space).not.toBe(slash);
    expect(tools.decode(space).name).toBe('user profile');
  });

  it('shortens long names to a stable head and hash', () => {
    const long = `create_${'very_'.repeat(20)}long_issue`;
    const first = createNameTable().encode('github', long);
    const second = createNameTable().encode('github', long);
    expect(first).toBe(second);
    expect(first).toMatchInlineSnapshot(
      `"github__create_very_very_very_very_very_very_very_ver_2h82cth02v"`,
    );
    expect(first).toHaveLength(64);
    expect(createNameTable({ maxLength: 128 }).encode('github', long)).toBe(`github__${long}`);
  });

  it('shortens the same way in fresh tables, whatever the order of registration', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(upstreamId, validName), { minLength: 1, maxLength: 30 }),
        (inputs) => {
          const forward = createNameTable();
          const backward = createNameTable();
          const a = inputs.map(([id, name]) => forward.encode(id, name));
          const b = inputs
            .toReversed()
            .map(([id, name]) => backward.encode(id, name))
            .toReversed();
          expect(b).toEqual(a);
        },
      ),
    );
  });

  it('keeps 10,000 long generated names distinct and reversible', () => {
    const names = fc.sample(
      fc.tuple(
        fc.constantFrom('github', 'jira', 'eu', 'a-very-long-upstream-identifier-'),
        fc.stringMatching(/^[a-z_]{60,100}$/),
      ),
      { numRuns: 10_000, seed: 42 },
    );
    const tools = createNameTable();
    const exposed = new Map<string, string>();
    for (const [id, name] of names) {
      const key = `${id}/${name}`;
      const out = tools.encode(id, name);
      const previous = exposed.get(out);
      expect(previous === undefined || previous === key).toBe(true);
      exposed.set(out, key);
      expect(out.length).toBeLessThanOrEqual(64);
    }
    for (const [out, key] of exposed) {
      const { upstreamId: id, name } = tools.decode(out);
      expect(`${id}/${name}`).toBe(key);
    }
  });

  it('resolves a collision deterministically and keeps both names reversible', () => {
    const tools = createNameTable();
    const long = 'x'.repeat(80);
    const shortened = tools.encode('a', long);
    // Another upstream in pass-through mode happens to expose exactly that name.
    const clash = tools.encode('b', shortened, { prefix: false });
    expect(clash).toMatch(/^b__a__x{47}_[0-9a-v]{10}$/);
    expect(clash).not.toBe(shortened);
    expect(tools.decode(shortened)).toEqual({ upstreamId: 'a', name: long });
    expect(tools.decode(clash)).toEqual({ upstreamId: 'b', name: shortened });
  });

  it('salts the hash when a shortened name is taken', () => {
    const tools = createNameTable();
    const long = 'y'.repeat(80);
    const natural = createNameTable().encode('a', long);
    tools.encode('squatter', natural, { prefix: false });
    const salted = tools.encode('a', long);
    expect(salted).not.toBe(natural);
    expect(salted).toHaveLength(64);
    expect(tools.decode(salted)).toEqual({ upstreamId: 'a', name: long });
  });

  it('round-trips names nested through peers', () => {
    fc.assert(
      fc.property(upstreamId, upstreamId, validName, (peerId, innerId, name) => {
        const inner = createNameTable();
        const outer = createNameTable();
        const atPeer = inner.encode(innerId, name);
        const atHub = outer.encode(peerId, atPeer);
        const step = outer.decode(atHub);
        expect(step.upstreamId).toBe(peerId);
        expect(inner.decode(step.name)).toEqual({ upstreamId: innerId, name });
      }),
    );
    const outer = createNameTable();
    const exposed = outer.encode('eu', createNameTable().encode('github', 'create_issue'));
    expect(exposed).toBe('eu__github__create_issue');
  });

  it('passes names through unchanged with prefix: false, prefixing only on collision', () => {
    const tools = createNameTable({ prefix: false });
    expect(tools.encode('github', 'search')).toBe('search');
    expect(tools.encode('jira', 'search')).toBe('jira__search');
    expect(tools.encode('jira', 'search', { prefix: true })).toBe('jira__search');
    expect(tools.decode('search')).toEqual({ upstreamId: 'github', name: 'search' });
    expect(tools.decode('jira__search')).toEqual({ upstreamId: 'jira', name: 'search' });
  });

  it('rejects invalid prefixes with a clear error', () => {
    const tools = createNameTable();
    for (const bad of ['GitHub', '', '-x', 'a_b', 'x'.repeat(33), 'a b']) {
      expect(() => tools.encode(bad, 'tool')).toThrow(FedmcpError);
    }
    expect(() => tools.encode('GitHub', 'tool')).toThrowErrorMatchingInlineSnapshot(
      `[InvalidConfigError: Invalid configuration at "upstreamId": "GitHub" is not a valid upstream id (it has uppercase letters); use 1 to 32 characters from a-z, 0-9 and "-", starting with a letter or digit. Fix the configuration and try again.]`,
    );
  });

  it('rejects empty names, and invalid names when asked to', () => {
    expect(() => createNameTable().encode('github', '')).toThrow(/empty name/);
    const strict = createNameTable({ invalidNames: 'reject', kind: 'prompt' });
    expect(() => strict.encode('github', 'user/profile')).toThrowErrorMatchingInlineSnapshot(
      `[FedmcpError: The prompt name "user/profile" of upstream "github" contains characters MCP does not allow in a tool name: "/" (allowed: A-Z a-z 0-9 _ - .). Rename it in the upstream, or let the hub sanitise such names (invalidNames: 'sanitize').]`,
    );
    expect(() => createNameTable({ maxLength: 20 })).toThrow(/maxLength/);
  });

  it('throws NOT_FOUND for names it never produced, and forgets upstreams', () => {
    const tools = createNameTable();
    tools.encode('github', 'create_issue');
    tools.encode('jira', 'create_issue');
    expect(() => tools.decode('github__delete_repo')).toThrow(NotFoundError);
    expect(tools.lookup('github__delete_repo')).toBeUndefined();
    tools.forgetUpstream('github');
    expect(tools.lookup('github__create_issue')).toBeUndefined();
    expect(tools.lookup('jira__create_issue')).toEqual({
      upstreamId: 'jira',
      name: 'create_issue',
    });
    expect([...tools.entries()]).toEqual([
      ['jira__create_issue', { upstreamId: 'jira', name: 'create_issue' }],
    ]);
  });
});
