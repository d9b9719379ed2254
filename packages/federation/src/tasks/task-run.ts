/**
 * The call of a hub-managed task whose client can answer questions (it declared sampling,
 * elicitation or roots): the upstream call runs in a `Flow` on a leased connection of its own, so
 * the upstream's questions reach this task alone, and each round of questions makes the task
 * `input_required` until its owner answers (tasks/task-input.ts); then the call goes on.
 */
import type { ClientCapabilities, Result } from '@modelcontextprotocol/server';
import { callUpstream, type UpstreamCall } from '../pipeline/call-upstream.js';
import type { HubServices } from '../services/hub-services.js';
import type { HubSession } from '../services/session-registry.js';
import type { TaskRun } from './task-engine.js';

/** Whether a client can answer an upstream's questions (what makes a task's call interactive). */
export function answersQuestions(capabilities: ClientCapabilities): boolean {
  return Boolean(capabilities.sampling || capabilities.elicitation || capabilities.roots);
}

/** What a task keeps of its client's capabilities: the ones that let it answer questions. */
export function questionCapabilities(capabilities: ClientCapabilities): ClientCapabilities {
  const { sampling, elicitation, roots } = capabilities;
  return {
    ...(sampling ? { sampling } : {}),
    ...(elicitation ? { elicitation } : {}),
    ...(roots ? { roots } : {}),
  };
}

/**
 * The {@link TaskRun} of an interactive task's call (`call` without its signal). Its flow is
 * registered under a session record of its own (only compared by identity): the task outlives
 * the session that created it — closing that session cancels its interactive calls, not its
 * tasks — and a run resumed after a restart has no session at all.
 */
export function interactiveTaskRun(
  services: HubServices,
  principal: unknown,
  owner: string,
  call: Omit<UpstreamCall, 'signal'>,
  capabilities: ClientCapabilities,
): TaskRun {
  return async (record, signal, onprogress): Promise<Result> => {
    const { flows } = services;
    const holder = { era: 'legacy', sessionId: undefined, pinned: false, principal };
    const { flow } = flows.open(holder as HubSession, owner, undefined);
    flow.capabilities = capabilities;
    flow.onProgress = onprogress;
    flow.run((flowSignal) =>
      callUpstream({
        ...call,
        signal: flowSignal,
        onConnection: (connection) => flows.attach(flow, connection),
        onprogress: (progress) => flow.onProgress?.(progress),
      }),
    );
    const deadline = Date.parse(record.createdAt) + record.ttlMs;
    for (;;) {
      const event = await flow.next(signal);
      if (event.type === 'result') return event.result;
      if (event.type === 'error') throw event.error;
      // Keys of this run's own (a resumed run asks again; an old answer must not match).
      const prefix = `run${record.attempts}-`;
      const requests = Object.fromEntries(
        event.questions.map((question) => [
          `${prefix}${question.key}`,
          { method: question.method, params: question.params },
        ]),
      );
      try {
        const answers = await services.hubTasks.inputs.ask(
          record.taskId,
          requests,
          signal,
          deadline,
        );
        flow.resume(
          Object.fromEntries(
            Object.entries(answers).map(([key, answer]) => [key.slice(prefix.length), answer]),
          ),
        );
      } catch (error) {
        flow.cancel(error);
        throw error;
      }
    }
  };
}
