/**
 * Runs automations: a consumer group per webhook automation on its source's inbox stream, a timer
 * per schedule. Each trigger gets one run record in the store; a trigger whose record says done
 * or dead is never called again (a crash between the record and the ack redelivers the message,
 * which is then only acknowledged), and a failed call is retried with backoff until it goes to the
 * dead-letter stream.
 */
import { type Logger, silentLogger } from '@fedmcp/protocol';
import type { DeliveredMessage, Store } from '@fedmcp/store';
import { inboxStream, parseInboxEntry, type WebhookInbox } from '../webhooks/webhook-inbox.js';
import type {
  Automation,
  AutomationCallTool,
  AutomationRun,
  DeadLetter,
} from './automation-types.js';
import { renderTemplate } from './render-template.js';
import { startSchedule } from './schedule.js';

/** Options of {@link createAutomationRunner}. */
export interface AutomationRunnerOptions {
  store: Store;
  inbox: WebhookInbox;
  automations: readonly Automation[];
  callTool: AutomationCallTool;
  /** Called when a run finishes (done or dead). */
  onRun?: (run: AutomationRun) => void;
  /** First retry delay in ms, doubled per attempt. @default 1000 */
  retryDelayMs?: number;
  /**
   * A message a consumer holds unacknowledged this long is taken over (its process died). Keep
   * it above the longest call. @default 30_000
   */
  claimIdleMs?: number;
  /** An inbox entry that no event id claims after this long is dropped (never acknowledged). @default 60_000 */
  orphanAfterMs?: number;
  /** @default silent */
  logger?: Logger;
}

/** Runs the configured automations until closed. */
export interface AutomationRunner {
  /** Creates the consumer groups (before webhooks are accepted) and starts consuming. */
  start(): Promise<void>;
  /** The run record of an automation for one trigger. */
  getRun(automation: string, trigger: string): Promise<AutomationRun | undefined>;
  /** The newest dead letters, oldest first. */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** Stops consuming; a call in flight finishes first. */
  close(): Promise<void>;
}

/** The store stream of triggers whose automation failed every attempt. */
export const DEAD_LETTER_STREAM = 'runtime:automations:dead-letter';
const runKey = (automation: string, trigger: string) =>
  `runtime:automations:${automation}:run:${trigger}`;
const groupOf = (automation: string) => `automation:${automation}`;
/** 50 ms steps a consumer waits for an entry's event id to be claimed (5 s). */
const CLAIM_WAIT_STEPS = 100;

/** Creates the automation runner (nothing runs before `start()`). */
export function createAutomationRunner(options: AutomationRunnerOptions): AutomationRunner {
  const { store, inbox } = options;
  const logger = options.logger ?? silentLogger;
  const retryDelayMs = options.retryDelayMs ?? 1000;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const orphanAfterMs = options.orphanAfterMs ?? 60_000;
  const closing = new AbortController();
  const loops: Promise<void>[] = [];
  const stops: Array<() => void> = [];

  const readRun = async (automation: string, trigger: string) => {
    const entry = await store.kv.get(runKey(automation, trigger));
    return entry ? (JSON.parse(entry.value) as AutomationRun) : undefined;
  };
  const writeRun = (run: AutomationRun) =>
    store.kv.set(runKey(run.automation, run.trigger), JSON.stringify(run));

  /** Runs `automation` for one trigger unless its record says it ran; resolves when settled. */
  async function runOnce(
    automation: Automation,
    trigger: string,
    context: Record<string, unknown>,
  ) {
    const previous = await readRun(automation.name, trigger);
    if (previous && previous.state !== 'running') return;
    const args = renderTemplate(automation.arguments ?? {}, context) as Record<string, unknown>;
    let attempts = previous?.attempts ?? 0;
    const maxAttempts = automation.maxAttempts ?? 3;
    for (;;) {
      attempts += 1;
      const base = { automation: automation.name, trigger, attempts };
      await writeRun({ ...base, state: 'running', updatedAt: Date.now() });
      let reason: string;
      try {
        const result = await options.callTool(automation.as, automation.call, args, {
          idempotencyKey: `${automation.name}:${trigger}`,
        });
        if (!result.isError) {
          const run: AutomationRun = {
            ...base,
            state: 'done',
            result: result.structuredContent ?? result.content,
            updatedAt: Date.now(),
          };
          await writeRun(run);
          options.onRun?.(run);
          return;
        }
        reason = textOf(result) || 'the tool returned an error';
      } catch (error) {
        reason = (error as Error).message;
      }
      if (attempts >= maxAttempts) {
        const letter: DeadLetter = { ...base, call: automation.call, reason, at: Date.now() };
        await store.streams.append(DEAD_LETTER_STREAM, JSON.stringify(letter));
        const run: AutomationRun = { ...base, state: 'dead', reason, updatedAt: Date.now() };
        await writeRun(run);
        logger.warn({ automation: automation.name, trigger, reason }, 'automation dead-lettered');
        options.onRun?.(run);
        return;
      }
      if (!(await pause(retryDelayMs * 2 ** (attempts - 1), closing.signal))) {
        throw new Error('closing');
      }
    }
  }

  /** One inbox message: run it if it is its event's canonical entry, then acknowledge. */
  async function handle(automation: Automation, source: string, message: DeliveredMessage) {
    const stream = inboxStream(source);
    const group = groupOf(automation.name);
    let canonical = await inbox.isCanonical(source, message);
    // The receiving replica claims the event id right after appending: on a networked store we
    // may read the entry in between. Wait for the claim a moment before leaving it for later.
    for (let wait = 0; canonical === undefined && wait < CLAIM_WAIT_STEPS; wait += 1) {
      if (!(await pause(50, closing.signal))) return;
      canonical = await inbox.isCanonical(source, message);
    }
    if (canonical === undefined && Date.now() - message.timestamp < orphanAfterMs) return; // claimed later
    if (canonical) {
      const { event } = parseInboxEntry(message);
      await runOnce(automation, event.id, { event });
    }
    await store.streams.ack(stream, group, [message.id]);
  }

  async function consume(automation: Automation, source: string) {
    const stream = inboxStream(source);
    const group = groupOf(automation.name);
    const consumer = `${automation.name}-${crypto.randomUUID()}`;
    let lastClaim = 0;
    while (!closing.signal.aborted) {
      try {
        let messages: DeliveredMessage[] = [];
        if (Date.now() - lastClaim > claimIdleMs / 2) {
          lastClaim = Date.now();
          ({ messages } = await store.streams.claim(stream, group, consumer, {
            minIdleMs: claimIdleMs,
            count: 10,
          }));
        }
        if (messages.length === 0) {
          messages = await store.streams.readGroup(stream, group, consumer, {
            count: 10,
            blockMs: 500,
          });
        }
        for (const message of messages) {
          if (closing.signal.aborted) return;
          await handle(automation, source, message);
        }
      } catch (error) {
        if (closing.signal.aborted) return;
        logger.error(
          { automation: automation.name, err: (error as Error).message },
          'automation loop',
        );
        await pause(retryDelayMs, closing.signal);
      }
    }
  }

  return {
    async start() {
      for (const automation of options.automations) {
        const [kind, trigger] = splitTrigger(automation.on);
        if (kind === 'webhook') {
          // New entries only: an automation added later does not replay the whole inbox.
          await store.streams.createGroup(inboxStream(trigger), groupOf(automation.name), {
            from: 'end',
          });
          loops.push(consume(automation, trigger));
        } else {
          stops.push(
            startSchedule(trigger, async (tick) => {
              const id = `schedule-${tick.toISOString()}`;
              // One replica wins the tick: the record is created only if absent.
              const created = await store.kv.compareAndSet(
                runKey(automation.name, id),
                JSON.stringify({
                  automation: automation.name,
                  trigger: id,
                  state: 'running',
                  attempts: 0,
                  updatedAt: Date.now(),
                }),
                { expectedVersion: null },
              );
              if (!created.ok) return;
              const event = { id, source: 'schedule', scheduledAt: tick.toISOString() };
              await runOnce(automation, id, { event }).catch((error: Error) =>
                logger.warn(
                  { automation: automation.name, err: error.message },
                  'schedule run stopped',
                ),
              );
            }),
          );
        }
      }
    },
    getRun: readRun,
    async deadLetters(limit = 100) {
      const letters: DeadLetter[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.streams.read(DEAD_LETTER_STREAM, {
          ...(after ? { after } : {}),
          limit: 500,
        });
        if (page.length === 0) break;
        letters.push(...page.map((entry) => JSON.parse(entry.data) as DeadLetter));
        after = page[page.length - 1]?.id;
      }
      return letters.slice(-limit);
    },
    async close() {
      closing.abort();
      for (const stop of stops) stop();
      await Promise.allSettled(loops);
    },
  };
}

/** `webhook:<source>` or `schedule:<cron>`, split at the first colon. */
export function splitTrigger(on: string): ['webhook' | 'schedule', string] {
  const separator = on.indexOf(':');
  const kind = on.slice(0, separator);
  if (separator < 0 || (kind !== 'webhook' && kind !== 'schedule')) {
    throw new Error(
      `automation trigger "${on}" is neither "webhook:<source>" nor "schedule:<cron>"`,
    );
  }
  return [kind, on.slice(separator + 1).trim()];
}

function textOf(result: { content?: unknown[] }): string {
  return (result.content ?? [])
    .map((part) =>
      (part as { type?: string }).type === 'text' ? (part as { text: string }).text : '',
    )
    .join(' ')
    .trim();
}

/** Waits `ms` unless aborted first; resolves `false` when aborted. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
