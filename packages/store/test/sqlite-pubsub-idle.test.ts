import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createSqliteStore } from '../src/node/index.js';

const directory = mkdtempSync(join(tmpdir(), 'fedmcp-store-sqlite-idle-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
afterEach(() => {
  vi.useRealTimers();
});

describe('sqlite engine pub/sub polling', () => {
  it('backs off to idlePollIntervalMs while nothing arrives; a publish through the store is heard within pollIntervalMs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const path = join(directory, 'idle.db');
    await using subscriber = createSqliteStore({
      path,
      pollIntervalMs: 20,
      idlePollIntervalMs: 200,
    });
    // Another connection to the file, as another process would open it.
    await using other = createSqliteStore({ path });
    const received: string[] = [];
    await subscriber.pubsub.subscribe('c', (message) => received.push(message));
    // Idle for 5 s: the polls came at 20, 60, 140, 300, then every 200 ms (…, 4900, 5100).
    await vi.advanceTimersByTimeAsync(5_000);
    await other.pubsub.publish('c', 'from another process');
    await vi.advanceTimersByTimeAsync(20);
    expect(received).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(received).toEqual(['from another process']);

    // Idle again; a message published through the subscribing store itself waits no longer
    // than pollIntervalMs, and so does one from the other process right after it.
    await vi.advanceTimersByTimeAsync(5_000);
    await subscriber.pubsub.publish('c', 'local');
    await vi.advanceTimersByTimeAsync(20);
    expect(received).toEqual(['from another process', 'local']);
    await other.pubsub.publish('c', 'again');
    await vi.advanceTimersByTimeAsync(20);
    expect(received).toEqual(['from another process', 'local', 'again']);
  });
});
