// Starts and closes 100 supervised stdio upstreams, killing 20 of them with SIGKILL mid-call:
// every in-flight call must end in an error (none resolves, none hangs), and afterwards no
// process of theirs may remain (children of this process, or anything in their process groups).
import { describe, expect, it } from 'vitest';
import { connectUpstream } from '../../src/node/connect-upstream.js';
import type { UpstreamClient } from '../../src/upstream-client.js';
import {
  descendantsOf,
  processesInGroups,
  tinyServerPath,
  waitUntilEmpty,
} from './fixtures/process-tree.js';

const UPSTREAMS = 100;
const BATCH = 10;
const KILLED_PER_BATCH = 2;
const HANG_GUARD_MS = 15_000;

type Outcome = 'resolved' | 'hung' | Error;

function settle(call: Promise<unknown>): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve('hung'), HANG_GUARD_MS);
  });
  const outcome = call.then(
    (): Outcome => 'resolved',
    (error: unknown): Outcome => (error instanceof Error ? error : new Error(String(error))),
  );
  return Promise.race([outcome, hung]).finally(() => clearTimeout(timer));
}

describe('stdio upstream leak test', () => {
  it(`starts and closes ${UPSTREAMS} upstreams, killing ${(UPSTREAMS / BATCH) * KILLED_PER_BATCH} mid-call, and leaves nothing behind`, async () => {
    const groups = new Set<number>();
    const outcomes: Outcome[] = [];
    let killed = 0;
    for (let batch = 0; batch < UPSTREAMS / BATCH; batch++) {
      const clients: UpstreamClient[] = await Promise.all(
        Array.from({ length: BATCH }, () =>
          connectUpstream(
            { command: process.execPath, args: [tinyServerPath, '--grandchild'] },
            {
              // Restart fast, so restarts race the closes below.
              restart: { initialDelayMs: 20, maxDelayMs: 50 },
              onRestart: ({ pid }) => pid && groups.add(pid),
            },
          ),
        ),
      );
      for (const client of clients) groups.add(client.pid as number);
      const inFlight = clients.map((client) =>
        settle(client.callTool({ name: 'hang', arguments: {} })),
      );
      // A ping answered after the call was sent: the call is in flight on the server.
      await Promise.all(clients.map((client) => client.ping()));
      for (const client of clients.slice(0, KILLED_PER_BATCH)) {
        process.kill(client.pid as number, 'SIGKILL');
        killed++;
      }
      outcomes.push(...(await Promise.all(inFlight.slice(0, KILLED_PER_BATCH))));
      await Promise.all(clients.map((client) => client.close()));
      outcomes.push(...(await Promise.all(inFlight.slice(KILLED_PER_BATCH))));
    }

    expect(killed).toBe((UPSTREAMS / BATCH) * KILLED_PER_BATCH);
    expect(outcomes).toHaveLength(UPSTREAMS);
    expect(outcomes.filter((outcome) => !(outcome instanceof Error))).toEqual([]);
    expect(
      outcomes.every((outcome) => outcome instanceof Error && /closed/i.test(outcome.message)),
    ).toBe(true);
    expect(await waitUntilEmpty(() => processesInGroups(groups))).toEqual([]);
    expect(
      await waitUntilEmpty(() => descendantsOf(process.pid).filter((entry) => entry.state !== 'Z')),
    ).toEqual([]);
    expect(descendantsOf(process.pid)).toEqual([]);
  }, 120_000);
});
