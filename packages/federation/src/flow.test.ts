import { describe, expect, it } from 'vitest';
import { Flow } from './flow.js';

describe('Flow', () => {
  it('refuses the questions still waiting when the call ends, and any asked after', async () => {
    const flow = new Flow({ batchDelayMs: 0 });
    flow.capabilities = { elicitation: {} };
    let sent: Promise<unknown> | undefined;
    let finishCall: (() => void) | undefined;
    flow.run(async () => {
      sent = flow.ask('elicitation/create', { message: 'first' });
      sent.catch(() => {});
      await new Promise<void>((resolve) => {
        finishCall = resolve;
      });
      return { content: [] };
    });
    const round = await flow.next(new AbortController().signal);
    expect(round.type).toBe('input');
    // A second question arrives after the first round went out: it is still unsent.
    const unsent = flow.ask('elicitation/create', { message: 'second' });
    unsent.catch(() => {});
    finishCall?.();
    const outcome = await flow.next(new AbortController().signal);
    expect(outcome.type).toBe('result');
    await expect(sent).rejects.toThrow('The call this request belongs to is over.');
    await expect(unsent).rejects.toThrow('The call this request belongs to is over.');
    await expect(flow.ask('elicitation/create', { message: 'late' })).rejects.toThrow(
      'The call this request belongs to is over.',
    );
  });

  it('ends a call that asked nothing with its result', async () => {
    const flow = new Flow();
    flow.run(async () => ({ content: [{ type: 'text', text: 'done' }] }));
    const outcome = await flow.next(new AbortController().signal);
    expect(outcome).toEqual({
      type: 'result',
      result: { content: [{ type: 'text', text: 'done' }] },
    });
    expect(flow.done).toBe(true);
  });
});
