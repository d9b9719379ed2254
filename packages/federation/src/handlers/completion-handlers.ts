/**
 * `completion/complete`: the reference (a prompt, or a resource template or URI) is resolved to
 * its upstream and forwarded through the pipeline's spine. MCP 2025-11-25
 * utilities/completion: an upstream without completions gets an empty answer, from the hub.
 */
import type { Server } from '@modelcontextprotocol/server';
import { forward } from '../pipeline/forward.js';
import { resolveCompletionRef } from '../pipeline/resolve.js';
import { setHubRequestHandler } from '../sdk-seams.js';
import { signInRounds } from '../upstream-oauth/sign-in-rounds.js';
import {
  callerLease,
  callerOf,
  outgoingMeta,
  type SessionScope,
  withClientLogLevel,
} from './session-scope.js';

/** Registers `completion/complete` for a session. */
export function registerCompletionHandlers(server: Server, scope: SessionScope): void {
  const { services, session } = scope;
  setHubRequestHandler(
    server,
    'completion/complete',
    signInRounds(scope, async (request, ctx) => {
      const params = request.params ?? {};
      const ref = params.ref as { type: string; name?: string; uri?: string };
      const target = resolveCompletionRef(services, ref);
      const { upstream } = target;
      // A reference outside the session's view is unknown there.
      if (ref.type === 'ref/prompt') {
        services.catalogViews.assertAdmits(session, 'prompts', {
          upstream: upstream.id,
          name: ref.name ?? '',
        });
      } else {
        services.catalogViews.assertAdmits(session, 'templates', {
          upstream: upstream.id,
          name: ref.uri ?? '',
        });
      }
      const access = {
        action: 'completion/complete',
        target: (ref.type === 'ref/prompt' ? ref.name : ref.uri) ?? '',
        upstream: upstream.id,
        upstreamTarget: target.name,
      };
      if (!upstream.serverCapabilities.completions) {
        return forward(services, callerOf(scope, ctx), ctx, {
          access,
          local: async () => ({ completion: { values: [] } }),
        });
      }
      const meta = outgoingMeta(scope, params._meta);
      return forward(services, callerOf(scope, ctx), ctx, {
        access,
        call: {
          upstream,
          method: 'completion/complete',
          params: withClientLogLevel(
            scope,
            upstream,
            { ...params, ref: target.ref, ...(meta ? { _meta: meta } : {}) },
            ctx,
          ),
          signal: ctx.mcpReq.signal,
          ...callerLease(scope, upstream),
        },
      });
    }),
  );
}
