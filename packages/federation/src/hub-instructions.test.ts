import { describe, expect, it } from 'vitest';
import { mergeInstructions } from './hub-instructions.js';

describe('mergeInstructions', () => {
  it('puts each upstream’s instructions under its id, after the hub’s own', () => {
    expect(
      mergeInstructions('Use the hub.', [
        { id: 'everything', instructions: 'Everything tips.' },
        { id: 'quiet', instructions: undefined },
        { id: 'memory', instructions: '  Memory tips.\n' },
      ]),
    ).toBe('Use the hub.\n\n## everything\nEverything tips.\n\n## memory\nMemory tips.');
  });

  it('is undefined when nobody has instructions', () => {
    expect(mergeInstructions(undefined, [{ id: 'a', instructions: ' ' }])).toBeUndefined();
  });

  it('keeps within the cap, sharing it fairly and saying what was cut', () => {
    const merged = mergeInstructions(
      undefined,
      [
        { id: 'short', instructions: 'Short.' },
        { id: 'long', instructions: 'x'.repeat(5000) },
        { id: 'longer', instructions: 'y'.repeat(9000) },
      ],
      1000,
    ) as string;
    expect(merged.length).toBeLessThanOrEqual(1000);
    expect(merged).toContain('## short\nShort.');
    expect(merged).toMatch(
      /## long\nx+\n\[… fedmcp cut these instructions to \d+ of 5000 characters\]/,
    );
    expect(merged).toMatch(
      /## longer\ny+\n\[… fedmcp cut these instructions to \d+ of 9000 characters\]/,
    );
    const xs = merged.match(/x+/)?.[0].length ?? 0;
    const ys = merged.match(/y+/)?.[0].length ?? 0;
    expect(xs).toBe(ys);
  });
});
