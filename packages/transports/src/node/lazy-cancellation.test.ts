import { describe, expect, it } from 'vitest';
import { LazyCancellation } from './lazy-cancellation.js';

/** A request whose response may have closed unfinished before anyone watched it. */
class Request extends LazyCancellation {
  watching = false;
  constructor(private readonly closedUnfinished: boolean) {
    super();
  }
  protected watchClose(): void {
    if (this.closedUnfinished) this.abort();
    else this.watching = true;
  }
  protected stopWatchingClose(): void {
    this.watching = false;
  }
}

function listener() {
  const reasons: unknown[] = [];
  return { reasons, cancelled: (reason: unknown) => reasons.push(reason) };
}

describe('LazyCancellation', () => {
  it('tells a watcher once when the response closed unfinished before it watched', () => {
    const request = new Request(true);
    const watcher = listener();
    request.watch(watcher);
    expect(watcher.reasons).toHaveLength(1);
    expect((watcher.reasons[0] as DOMException).name).toBe('AbortError');
    expect(request.signal.aborted).toBe(true);
  });

  it('builds no signal until read, and a signal read after a cancellation starts aborted', () => {
    const request = new Request(false);
    request.abort('cancelled by the client');
    expect(request.aborted).toBe(true);
    expect(request.signal.aborted).toBe(true);
    expect(request.signal.reason).toBe('cancelled by the client');
  });

  it('tells every watcher once, not one that unwatched or watched after it settled', () => {
    const request = new Request(false);
    const [first, second, gone] = [listener(), listener(), listener()];
    request.watch(first);
    request.watch(second);
    request.watch(gone);
    request.unwatch(gone);
    expect(request.watching).toBe(true);
    request.abort('stop');
    request.abort('again');
    expect(first.reasons).toEqual(['stop']);
    expect(second.reasons).toEqual(['stop']);
    expect(gone.reasons).toEqual([]);
    const late = listener();
    request.watch(late);
    expect(late.reasons).toEqual(['stop']);
  });

  it('stops watching the response when released, and tells nobody after', () => {
    const request = new Request(false);
    const watcher = listener();
    request.watch(watcher);
    request.release();
    expect(request.watching).toBe(false);
    request.abort();
    expect(watcher.reasons).toEqual([]);
  });
});
