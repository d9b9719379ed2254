import { describe, expect, it } from 'vitest';
import type { AccessOutcome, AccessRequest, HubAccess } from '../hub-access.js';
import { NO_FINISH, startFinish } from './finish.js';

const request: AccessRequest = {
  principal: undefined,
  action: 'tools/call',
  target: 'echo__echo',
  upstream: 'echo',
  upstreamTarget: 'echo',
  canElicit: false,
};

describe('startFinish', () => {
  it('records each outcome with its latency, and resolves once the hook did', async () => {
    const seen: AccessOutcome[] = [];
    let release: () => void = () => {};
    const access: HubAccess = {
      completed(_request, outcome) {
        seen.push(outcome);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    };
    const error = new Error('upstream failed');
    let done = false;
    const finished = startFinish(
      access,
      request,
    )({ ok: false, error }).then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    release();
    await finished;
    expect(done).toBe(true);
    const second = startFinish(access, request)({ ok: true, result: { content: [] } });
    release();
    await second;
    expect(seen).toMatchObject([
      { ok: false, error, latencyMs: expect.any(Number) },
      { ok: true, result: { content: [] }, latencyMs: expect.any(Number) },
    ]);
    expect(seen[0]).not.toHaveProperty('result');
    expect(seen[1]).not.toHaveProperty('error');
  });

  it('never turns an answered call into an error: a hook that throws or rejects still resolves', async () => {
    for (const completed of [
      () => {
        throw new Error('audit down');
      },
      () => Promise.reject(new Error('audit down')),
      () => undefined,
    ]) {
      await expect(
        startFinish({ completed }, request)({ ok: true, result: {} }),
      ).resolves.toBeUndefined();
    }
    expect(startFinish({}, request)).toBe(NO_FINISH);
    await expect(NO_FINISH({ ok: true })).resolves.toBeUndefined();
  });
});
