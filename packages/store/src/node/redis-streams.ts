/**
 * Streams of the redis engine on Redis Streams: XADD/XRANGE/XTRIM, consumer groups with
 * XREADGROUP and XACK, and a Lua script around XAUTOCLAIM that also dead-letters poison messages.
 * Entry fields: `d` holds the data, `o` the dead-letter origin (JSON) on dead-letter streams.
 */
import type { Redis } from 'ioredis';
import {
  checkCount,
  checkDuration,
  checkTrim,
  checkWait,
  defaultDeadLetterStream,
} from '../check-arguments.js';
import type { DeadLetterOrigin, DeliveredMessage, StreamEntry, StreamStore } from '../store.js';
import { formatStreamId, parseStreamId } from '../stream-id.js';
import { RedisScript } from './redis-connection.js';
import { claimScript } from './redis-scripts.js';

export interface RedisStreamsContext {
  prefix: string;
  run: <T>(operation: (client: Redis) => Promise<T>) => Promise<T>;
  /** Runs a blocking command on a pooled dedicated connection; `undefined` when the pool is exhausted. */
  runBlocking: <T>(operation: (client: Redis) => Promise<T>) => Promise<T | undefined>;
}

type RawEntry = [id: string, fields: string[] | null];

const toEntry = ([id, fields]: RawEntry): StreamEntry => {
  let data = '';
  let origin: string | undefined;
  for (let index = 0; fields && index < fields.length; index += 2) {
    if (fields[index] === 'd') data = fields[index + 1] ?? '';
    else if (fields[index] === 'o') origin = fields[index + 1];
  }
  const entry: StreamEntry = { id, data, timestamp: parseStreamId(id).ms };
  if (origin !== undefined) entry.deadLetter = JSON.parse(origin) as DeadLetterOrigin;
  return entry;
};

/** Builds the {@link StreamStore} of a redis store. */
export function createRedisStreams(context: RedisStreamsContext): StreamStore {
  const { prefix, run } = context;
  const streamKey = (stream: string): string => `${prefix}stream:${stream}`;
  const claim = new RedisScript(claimScript);
  return {
    append: (stream, data) =>
      run(async (client) => (await client.xadd(streamKey(stream), '*', 'd', data)) as string),
    read: async (stream, options = {}) => {
      const limit = checkCount('limit', options.limit, 100);
      const start =
        options.after === undefined ? '-' : `(${formatStreamId(parseStreamId(options.after))}`;
      return run(async (client) =>
        ((await client.xrange(streamKey(stream), start, '+', 'COUNT', limit)) as RawEntry[]).map(
          toEntry,
        ),
      );
    },
    length: (stream) => run((client) => client.xlen(streamKey(stream))),
    trim: async (stream, options) => {
      checkTrim(options);
      return run(async (client) => {
        let removed = 0;
        if (options.maxLength !== undefined) {
          removed += await client.xtrim(
            streamKey(stream),
            'MAXLEN',
            Math.max(0, options.maxLength),
          );
        }
        if (options.maxAgeMs !== undefined) {
          removed += await client.xtrim(
            streamKey(stream),
            'MINID',
            Math.max(0, Date.now() - options.maxAgeMs),
          );
        }
        return removed;
      });
    },
    delete: (stream) => run(async (client) => (await client.del(streamKey(stream))) === 1),
    createGroup: (stream, group, options = {}) =>
      run(async (client) => {
        try {
          await client.xgroup(
            'CREATE',
            streamKey(stream),
            group,
            options.from === 'end' ? '$' : '0',
            'MKSTREAM',
          );
        } catch (error) {
          if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
        }
      }),
    readGroup: async (stream, group, consumer, options = {}) => {
      const count = checkCount('count', options.count, 10);
      const blockMs = Math.ceil(checkWait('blockMs', options.blockMs));
      const deadline = Date.now() + blockMs;
      const read = async (client: Redis, block?: number): Promise<DeliveredMessage[]> => {
        const reply = (await client.call(
          'XREADGROUP',
          'GROUP',
          group,
          consumer,
          'COUNT',
          count,
          ...(block ? ['BLOCK', block] : []),
          'STREAMS',
          streamKey(stream),
          '>',
        )) as [string, RawEntry[]][] | null;
        return (reply?.[0]?.[1] ?? []).map(
          (raw): DeliveredMessage => ({ ...toEntry(raw), deliveryCount: 1 }),
        );
      };
      const ready = await run((client) => read(client));
      if (ready.length > 0 || blockMs === 0) return ready;
      // XREADGROUP BLOCK holds its connection, so it runs on a dedicated pooled one.
      const blocked = await context.runBlocking((client) => read(client, blockMs));
      if (blocked !== undefined) return blocked;
      // Every blocking connection is busy: poll instead.
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(50, deadline - Date.now())));
        const polled = await run((client) => read(client));
        if (polled.length > 0) return polled;
      }
      return [];
    },
    ack: (stream, group, ids) =>
      run(async (client) => {
        if (ids.length === 0) return 0;
        return client.xack(
          streamKey(stream),
          group,
          ...ids.map((id) => formatStreamId(parseStreamId(id))),
        );
      }),
    claim: async (stream, group, consumer, options) => {
      checkDuration('minIdleMs', options.minIdleMs);
      const count = checkCount('count', options.count, 10);
      const maxDeliveries = options.maxDeliveries;
      const deadLetterStream = options.deadLetterStream ?? defaultDeadLetterStream(stream);
      return run(async (client) => {
        const [messages, deadLettered] = (await claim.run(
          client,
          [streamKey(stream), streamKey(deadLetterStream)],
          [
            group,
            consumer,
            Math.ceil(options.minIdleMs),
            count,
            maxDeliveries === undefined || maxDeliveries === Number.POSITIVE_INFINITY
              ? ''
              : maxDeliveries,
            stream,
          ],
        )) as [[string, string[], number][], string[]];
        return {
          messages: messages.map(([id, fields, deliveryCount]) => ({
            ...toEntry([id, fields]),
            deliveryCount,
          })),
          deadLettered,
        };
      });
    },
    pending: async (stream, group, options = {}) => {
      const limit = checkCount('limit', options.limit, 100);
      return run(async (client) => {
        const rows = (await client.xpending(streamKey(stream), group, '-', '+', limit)) as [
          string,
          string,
          number,
          number,
        ][];
        return rows.map(([id, consumer, idleMs, deliveryCount]) => ({
          id,
          consumer,
          deliveryCount,
          idleMs,
        }));
      });
    },
  };
}
