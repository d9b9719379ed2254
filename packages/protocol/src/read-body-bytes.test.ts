import { describe, expect, it } from 'vitest';
import { readBodyBytes } from './read-body-bytes.js';

/** A POST whose body arrives as these chunks (no Content-Length). */
function streamed(chunks: string[]): Request {
  const encoder = new TextEncoder();
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks[pulled];
      pulled += 1;
      if (next === undefined) controller.close();
      else controller.enqueue(encoder.encode(next));
    },
  });
  return new Request('http://127.0.0.1/', { method: 'POST', body, duplex: 'half' } as RequestInit);
}

describe('readBodyBytes', () => {
  it('reads a body of chunks up to the limit, and an absent body as empty', async () => {
    const bytes = await readBodyBytes(streamed(['ab', 'cd', 'e']), 5);
    expect(new TextDecoder().decode(bytes)).toBe('abcde');
    expect(await readBodyBytes(new Request('http://127.0.0.1/'), 5)).toEqual(new Uint8Array());
  });

  it('refuses a body longer than the limit, by its Content-Length or while reading', async () => {
    const declared = new Request('http://127.0.0.1/', { method: 'POST', body: 'abcdef' });
    expect(await readBodyBytes(declared, 5)).toBeUndefined();
    expect(declared.bodyUsed).toBe(true);
    expect(await readBodyBytes(streamed(['abc', 'def', 'never read']), 5)).toBeUndefined();
  });
});
