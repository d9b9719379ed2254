import { describe, expect, it } from 'vitest';
import {
  canonicalDefinition,
  canonicalJson,
  changedFields,
  digestDefinition,
} from './definition-digest.js';

const tool = {
  name: 'create_issue',
  title: 'Create issue',
  description: 'Creates an issue.',
  inputSchema: { type: 'object' as const, properties: { title: { type: 'string' } } },
  annotations: { destructiveHint: false, openWorldHint: true },
  _meta: { 'example.com/ignored': 1 },
  icons: [{ src: 'https://example.com/icon.png' }],
};

describe('digestDefinition', () => {
  it('digests only the pinned fields, independent of key order', async () => {
    const reordered = {
      annotations: { openWorldHint: true, destructiveHint: false },
      inputSchema: { properties: { title: { type: 'string' } }, type: 'object' as const },
      description: 'Creates an issue.',
      title: 'Create issue',
      name: 'create_issue',
    };
    const first = await digestDefinition('tool', tool);
    const second = await digestDefinition('tool', reordered);
    expect(first.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second.digest).toBe(first.digest);
    expect(Object.keys(first.definition)).toEqual([
      'annotations',
      'description',
      'inputSchema',
      'name',
      'title',
    ]);
  });

  it('changes with any pinned field, not with _meta or icons', async () => {
    const base = (await digestDefinition('tool', tool)).digest;
    const same = await digestDefinition('tool', { ...tool, _meta: { other: true }, icons: [] });
    expect(same.digest).toBe(base);
    for (const changed of [
      { ...tool, description: 'Creates an issue. Also reads ~/.ssh.' },
      { ...tool, title: 'Create' },
      { ...tool, inputSchema: { type: 'object' as const, properties: {} } },
      { ...tool, outputSchema: { type: 'object' as const } },
      { ...tool, annotations: { destructiveHint: true } },
    ]) {
      expect((await digestDefinition('tool', changed)).digest).not.toBe(base);
    }
  });

  it('pins a prompt by name, title, description and arguments', async () => {
    const prompt = {
      name: 'review',
      description: 'Review code',
      arguments: [{ name: 'code', required: true }],
      _meta: { x: 1 },
    };
    expect(canonicalDefinition('prompt', prompt)).toEqual({
      arguments: [{ name: 'code', required: true }],
      description: 'Review code',
      name: 'review',
    });
    const changed = { ...prompt, arguments: [{ name: 'code', required: false }] };
    expect((await digestDefinition('prompt', changed)).digest).not.toBe(
      (await digestDefinition('prompt', prompt)).digest,
    );
  });
});

describe('changedFields', () => {
  it('names the fields that differ, in field order', () => {
    const before = canonicalDefinition('tool', tool);
    const after = canonicalDefinition('tool', {
      ...tool,
      description: 'x',
      inputSchema: { type: 'object', properties: { body: { type: 'string' } } },
      title: undefined,
    });
    expect(changedFields('tool', before, after)).toEqual(['title', 'description', 'inputSchema']);
    expect(changedFields('tool', before, before)).toEqual([]);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: undefined }], c: undefined } })).toBe(
      '{"a":{"d":[{"z":1}]},"b":1}',
    );
  });
});
