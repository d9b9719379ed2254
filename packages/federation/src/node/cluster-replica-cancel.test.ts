/**
 * A 2025-era cluster session's `notifications/cancelled` POSTed to another replica than the one
 * running the request (issue 14): the running replica aborts it and its upstream hears the
 * cancel. Three hubs on one Redis (`test/fixtures/replica-cluster.ts`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  callTool,
  openSession,
  send,
  startReplicaCluster,
} from '../../test/fixtures/replica-cluster.js';
import { eventually } from '../../test/helpers.js';

const cluster = await startReplicaCluster('replica-cancel');
const { replicas } = cluster;
afterAll(() => cluster.close());

describe('cancellation across hub replicas (2025-era cluster sessions)', () => {
  it('aborts a call running on one replica when the cancellation reaches another', async () => {
    const [first, second, third] = replicas;
    const sessionId = await openSession(first);
    const before = first.upstream.cancelled;
    const ended = new AbortController();
    const call = send(first, sessionId, {
      body: callTool(7, 'alpha__slow', { ms: 120_000 }),
      headers: {},
    });
    // Keep the call's response from outliving the test.
    call.then((response) => ended.signal.addEventListener('abort', () => response.body?.cancel()));
    const cancel = {
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 7, reason: 'the user stopped it' },
    };
    // The call reaches the upstream at some point after the POST: the cancellation, sent through
    // the other replicas, is repeated until the upstream saw one (a cancel of an unknown id is a
    // no-op everywhere).
    let target = 0;
    await eventually(async () => {
      const through = target % 2 === 0 ? second : third;
      target += 1;
      const answered = await send(through, sessionId, { body: cancel });
      expect(answered.status).toBe(202);
      return first.upstream.cancelled > before;
    }, 30_000);
    // Only the replica running it had it: the others' upstreams saw no cancel.
    expect(second.upstream.cancelled).toBe(0);
    expect(third.upstream.cancelled).toBe(0);
    ended.abort();
    expect((await send(second, sessionId, { method: 'DELETE' })).status).toBe(200);
  }, 60_000);
});
