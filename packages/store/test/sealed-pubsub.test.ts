/**
 * Pub/sub sealed under a cluster secret (`sealPubSub`), on a real Redis: what someone with write
 * access to Redis publishes — made up, replayed, moved to another channel — is dropped, and the
 * genuine messages still flow; rotated secrets interoperate; a replica without the secret cannot
 * talk. A missing Redis fails the run when CI=true (redis-test-server.ts).
 */

import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
} from '@fedmcp/test-support/postgres';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMemoryStore,
  type SealedPubSub,
  type Store,
  sealPubSub,
  withSealedPubSub,
} from '../src/index.js';
import { createRedisStore } from '../src/node/index.js';
import { createPostgresStore } from '../src/postgres/index.js';
import { deleteKeys, redisAvailable, redisUrl, runPrefix } from './redis-test-server.js';

const SECRET = 'the-current-cluster-secret-of-this-test-0123456789';
const PREVIOUS = 'the-previous-cluster-secret-of-this-test-012345678';
const OTHER = 'a-cluster-secret-no-replica-of-this-test-holds-0123';

/** The messages a subscription receives, and a promise for the next one. */
function inbox() {
  const messages: string[] = [];
  const waiters: Array<() => void> = [];
  return {
    messages,
    listener: (message: string) => {
      messages.push(message);
      for (const wake of waiters.splice(0)) wake();
    },
    async until(count: number): Promise<string[]> {
      while (messages.length < count) await new Promise<void>((wake) => waiters.push(wake));
      return messages;
    },
  };
}

describe.runIf(redisAvailable)('sealed pub/sub on redis', () => {
  const prefix = `${runPrefix}sealed:`;
  const opened: Array<{ close(): Promise<void> } | { disconnect(): void }> = [];
  afterAll(async () => {
    for (const resource of opened.splice(0)) {
      if ('close' in resource) await resource.close();
      else resource.disconnect();
    }
    await deleteKeys(prefix);
  });

  const replica = async (secret?: string, previousSecrets?: string[]) => {
    const store = await createRedisStore({ url: redisUrl, prefix });
    opened.push(store);
    return secret ? withSealedPubSub(store, { secret, previousSecrets }) : store;
  };
  /** A raw Redis client: what anyone with write access to the store can do. */
  const raw = () => {
    const client = new Redis(redisUrl);
    opened.push(client);
    return client;
  };
  const redisChannel = (channel: string) => `${prefix}channel:${channel}`;

  it('carries messages sealed: Redis sees no content, the other replica the message', async () => {
    const [one, two] = [await replica(SECRET), await replica(SECRET)];
    const heard = inbox();
    await two.pubsub.subscribe('answers:r2', heard.listener);
    const spy = raw();
    const seen: string[] = [];
    spy.on('message', (_channel: string, message: string) => seen.push(message));
    await spy.subscribe(redisChannel('answers:r2'));
    await one.pubsub.publish('answers:r2', '{"ref":"a1","result":"the secret answer"}');
    expect(await heard.until(1)).toEqual(['{"ref":"a1","result":"the secret answer"}']);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]).toMatch(/^s1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]+$/);
    expect(seen[0]).not.toContain('secret answer');
  });

  it('drops forged, replayed and channel-moved messages; genuine ones still flow', async () => {
    const [one, two] = [await replica(SECRET), await replica(SECRET)];
    const cancels = inbox();
    const answers = inbox();
    await two.pubsub.subscribe('cancel', cancels.listener);
    await two.pubsub.subscribe('answers:r2', answers.listener);
    const attacker = raw();
    const captured: string[] = [];
    const spy = raw();
    spy.on('message', (_channel: string, message: string) => captured.push(message));
    await spy.subscribe(redisChannel('answers:r2'));

    await one.pubsub.publish('answers:r2', 'answer-1');
    expect(await answers.until(1)).toEqual(['answer-1']);
    await expect.poll(() => captured.length).toBe(1);
    const genuine = captured[0] as string;

    // Made up, replayed, moved to another channel, altered: none is delivered.
    await attacker.publish(redisChannel('cancel'), 'req-7');
    await attacker.publish(redisChannel('answers:r2'), genuine);
    await attacker.publish(redisChannel('cancel'), genuine);
    const altered = `${genuine.slice(0, -2)}${genuine.endsWith('AA') ? 'BB' : 'AA'}`;
    await attacker.publish(redisChannel('answers:r2'), altered);
    // Genuine messages published afterwards arrive after them (one Redis, one order).
    await one.pubsub.publish('cancel', 'req-8');
    await one.pubsub.publish('answers:r2', 'answer-2');
    expect(await cancels.until(1)).toEqual(['req-8']);
    expect(await answers.until(2)).toEqual(['answer-1', 'answer-2']);
    const dropped = (two.pubsub as SealedPubSub).dropped();
    expect(dropped).toEqual({ unsealed: 1, 'unknown-key': 0, unopened: 2, stale: 0, replayed: 1 });
  });

  it('interoperates across a rotation: current + previous secrets open each other', async () => {
    const rotated = await replica(SECRET, [PREVIOUS]);
    const notYet = await replica(PREVIOUS, [SECRET]);
    const [atRotated, atNotYet] = [inbox(), inbox()];
    await rotated.pubsub.subscribe('changes', atRotated.listener);
    await notYet.pubsub.subscribe('changes', atNotYet.listener);
    await rotated.pubsub.publish('changes', 'from the rotated replica');
    await notYet.pubsub.publish('changes', 'from the one not rotated yet');
    const both = ['from the rotated replica', 'from the one not rotated yet'];
    expect(await atRotated.until(2)).toEqual(both);
    expect(await atNotYet.until(2)).toEqual(both);
  });

  it('a replica without the secret (or with another) can neither send nor hear', async () => {
    const member = await replica(SECRET);
    const stranger = await replica(OTHER);
    const plain = await replica();
    const [atMember, atStranger, atPlain] = [inbox(), inbox(), inbox()];
    await member.pubsub.subscribe('revoke', atMember.listener);
    await stranger.pubsub.subscribe('revoke', atStranger.listener);
    await plain.pubsub.subscribe('revoke', atPlain.listener);
    await plain.pubsub.publish('revoke', 'session-1');
    await stranger.pubsub.publish('revoke', 'session-2');
    await member.pubsub.publish('revoke', 'session-3');
    expect(await atMember.until(1)).toEqual(['session-3']);
    expect(await atStranger.until(1)).toEqual(['session-2']);
    // The plain replica hears the sealed messages as they are: no content.
    expect((await atPlain.until(3)).slice(1).every((text) => text.startsWith('s1.'))).toBe(true);
    expect((member.pubsub as SealedPubSub).dropped()).toMatchObject({
      unsealed: 1,
      'unknown-key': 1,
    });
  });

  it('keeps the order of messages published without waiting', async () => {
    const [one, two] = [await replica(SECRET), await replica(SECRET)];
    const heard = inbox();
    await two.pubsub.subscribe('notify:s1', heard.listener);
    const sent = Array.from({ length: 200 }, (_, index) => `n${index}`);
    await Promise.all(sent.map((message) => one.pubsub.publish('notify:s1', message)));
    expect(await heard.until(200)).toEqual(sent);
  });
});

describe.runIf(postgresAvailable)('sealed pub/sub on postgres', () => {
  const schema = runSchema('sealed');
  afterAll(async () => {
    await dropSchema(schema);
  });

  it('carries sealed messages up to the NOTIFY limit and drops forged ones', async () => {
    await using one = await createPostgresStore({ url: postgresUrl, schema });
    await using two = await createPostgresStore({ url: postgresUrl, schema });
    const sealedOne = withSealedPubSub(one, { secret: SECRET });
    const sealedTwo = withSealedPubSub(two, { secret: SECRET });
    const heard = inbox();
    await sealedTwo.pubsub.subscribe('cancel', heard.listener);
    await one.pubsub.publish('cancel', 'forged');
    const largest = 'x'.repeat(5948);
    await sealedOne.pubsub.publish('cancel', largest);
    await expect(sealedOne.pubsub.publish('cancel', `${largest}x`)).rejects.toThrow();
    await sealedOne.pubsub.publish('cancel', 'genuine');
    expect(await heard.until(2)).toEqual([largest, 'genuine']);
    expect(sealedTwo.pubsub.dropped().unsealed).toBe(1);
  });
});

describe('sealed pub/sub replay window', () => {
  it('drops a message sent longer ago (or further ahead) than the window', async () => {
    await using store = createMemoryStore();
    let clock = 1_000_000;
    const receiver = sealPubSub(store.pubsub, { secret: SECRET, now: () => clock });
    const senderClock = { at: clock };
    const sender = sealPubSub(store.pubsub, { secret: SECRET, now: () => senderClock.at });
    const heard = inbox();
    await receiver.subscribe('c', heard.listener);
    senderClock.at = clock - 30_000;
    await sender.publish('c', 'too old');
    senderClock.at = clock + 30_000;
    await sender.publish('c', 'too far ahead');
    senderClock.at = clock - 29_000;
    await sender.publish('c', 'late but in time');
    expect(await heard.until(1)).toEqual(['late but in time']);
    expect(receiver.dropped().stale).toBe(2);
    clock += 60_000;
    senderClock.at = clock;
    await sender.publish('c', 'now');
    expect(await heard.until(2)).toEqual(['late but in time', 'now']);
  });

  it('logs each drop reason once, without the message', async () => {
    await using store = createMemoryStore();
    const warnings: Array<{ fields: unknown; text: string }> = [];
    const logger = {
      warn: (fields: unknown, text: string) => warnings.push({ fields, text }),
      error: () => undefined,
      info: () => undefined,
      debug: () => undefined,
    } as unknown as Parameters<typeof sealPubSub>[1]['logger'];
    const sealed = sealPubSub(store.pubsub, { secret: SECRET, logger });
    const heard = inbox();
    await sealed.subscribe('answers:replica-7', heard.listener);
    await store.pubsub.publish('answers:replica-7', 'forged secret content');
    await store.pubsub.publish('answers:replica-7', 'forged secret content');
    await sealed.publish('answers:replica-7', 'real');
    await heard.until(1);
    expect(sealed.dropped().unsealed).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.fields).toEqual({ channel: 'answers:replica-7', reason: 'unsealed' });
    expect(JSON.stringify(warnings)).not.toContain('forged');
  });

  it('refuses an empty secret', async () => {
    await using store: Store = createMemoryStore();
    expect(() => sealPubSub(store.pubsub, { secret: '' })).toThrow(/non-empty/);
  });
});
