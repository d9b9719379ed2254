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

/** The {@link TaskRun} of an interactive task's call (`call` without its signal). */
export function interactiveTaskRun(
  services: HubServices,
  session: HubSession,
  owner: string,
  call: Omit<UpstreamCall, 'signal'>,
  capabilities: ClientCapabilities,
): TaskRun {
  return async (record, signal, onprogress): Promise<Result> => {
    const { flows } = services;
    // The flow's own session record: the task outlives the session that created it (closing
    // that session cancels its interactive calls, not its tasks).
    const { flow } = flows.open({ ...session }, owner, undefined);
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
      const requests = Object.fromEntries(
        event.questions.map((question) => [
          question.key,
          { method: question.method, params: question.params },
        ]),
      );
      try {
        flow.resume(await services.hubTasks.inputs.ask(record.taskId, requests, signal, deadline));
      } catch (error) {
        flow.cancel(error);
        throw error;
      }
    }
  };
}
