import { describe, expect, it } from 'vitest';
import { compileCatalogView } from './catalog-view.js';

const readOnly = { readOnlyHint: true };

describe('compileCatalogView', () => {
  it('includes by annotation: read-only tools and nothing else', () => {
    const view = compileCatalogView('readonly', { include: { annotations: readOnly } });
    expect(view.admits('tools', { upstream: 'a', name: 'a__get', annotations: readOnly })).toBe(
      true,
    );
    expect(view.admits('tools', { upstream: 'a', name: 'a__put' })).toBe(false);
    expect(view.admits('prompts', { upstream: 'a', name: 'a__p' })).toBe(false);
    expect(view.admits('resources', { upstream: 'a', name: 'fedmcp://a/x' })).toBe(false);
  });

  it('applies the MCP defaults of annotations a tool does not carry', () => {
    const view = compileCatalogView('safe', {
      include: { annotations: { destructiveHint: false } },
    });
    expect(view.admits('tools', { upstream: 'a', name: 'a__x' })).toBe(false); // default true
    const open = compileCatalogView('open', { include: { annotations: { openWorldHint: true } } });
    expect(open.admits('tools', { upstream: 'a', name: 'a__x' })).toBe(true);
  });

  it('includes everything of an upstream, by glob', () => {
    const view = compileCatalogView('gh', { include: { upstreams: ['git*'] } });
    expect(view.admits('tools', { upstream: 'github', name: 'github__x' })).toBe(true);
    expect(view.admits('prompts', { upstream: 'gitlab', name: 'gitlab__p' })).toBe(true);
    expect(view.admits('resources', { upstream: 'memory', name: 'fedmcp://memory/x' })).toBe(false);
  });

  it('matches tool names as exposed, and several include filters as alternatives', () => {
    const view = compileCatalogView('mixed', {
      include: [{ tools: ['github__*_issue'] }, { resources: ['fedmcp://docs/*'] }],
    });
    expect(view.admits('tools', { upstream: 'github', name: 'github__create_issue' })).toBe(true);
    expect(view.admits('tools', { upstream: 'github', name: 'github__delete_repo' })).toBe(false);
    expect(view.admits('resources', { upstream: 'docs', name: 'fedmcp://docs/readme' })).toBe(true);
    expect(view.admits('templates', { upstream: 'docs', name: 'fedmcp://docs/{id}' })).toBe(true);
    expect(view.admits('prompts', { upstream: 'docs', name: 'docs__p' })).toBe(false);
  });

  it('excludes, even what it includes; an exclude of tools leaves prompts alone', () => {
    const view = compileCatalogView('no-admin', {
      exclude: { tools: ['*_admin'] },
    });
    expect(view.admits('tools', { upstream: 'a', name: 'a__reset_admin' })).toBe(false);
    expect(view.admits('tools', { upstream: 'a', name: 'a__read' })).toBe(true);
    expect(view.admits('prompts', { upstream: 'a', name: 'a__p_admin' })).toBe(true);
    const noMemory = compileCatalogView('no-memory', { exclude: { upstreams: ['memory'] } });
    expect(noMemory.admits('prompts', { upstream: 'memory', name: 'memory__p' })).toBe(false);
  });

  it('refuses a malformed name or exposure', () => {
    expect(() => compileCatalogView('Bad/Name', {})).toThrow(/Invalid view name/);
    expect(() => compileCatalogView('ok', { exposure: 'some' as never })).toThrow(/exposure/);
  });
});
