/**
 * `prompts/get`, `resources/read`, `resources/subscribe` and `resources/unsubscribe`: resolved
 * (stage 1), given their upstream `_meta` (2) and forwarded through the pipeline's spine
 * (gate, call, map, finish). A subscription is the hub's own: the subscription router keeps one
 * upstream subscription however many clients follow the URI.
 */
import { PolicyDeniedError } from '@fedmcp/protocol';
import type { Server } from '@modelcontextprotocol/server';
import { forward } from '../pipeline/forward.js';
import { refuse } from '../pipeline/gate.js';
import { mapPromptResult, mapResourceResult } from '../pipeline/map-result.js';
import { assertOpen, resolvePrompt, resolveResource } from '../pipeline/resolve.js';
import { setHubRequestHandler } from '../sdk-seams.js';
import { signInRounds } from '../upstream-oauth/sign-in-rounds.js';
import {
  callerLease,
  callerOf,
  claimsDropped,
  outgoingMeta,
  type SessionScope,
  withClientLogLevel,
} from './session-scope.js';

type Params = Record<string, unknown>;

/** The refusal of an MCP Apps UI resource whose tools the caller may not see. */
function appDenied(action: string, uri: string): PolicyDeniedError {
  return new PolicyDeniedError({
    action,
    target: uri,
    message: `The access policy does not allow this caller to use the tools of the app ${uri}, so it may not read it either. Ask a hub administrator to grant access to the tool if you need it.`,
    data: { app: true },
  });
}

/** Registers the prompt and resource handlers of a session. */
export function registerPromptResourceHandlers(server: Server, scope: SessionScope): void {
  const { services, session } = scope;

  // A per-user OAuth upstream may ask the caller to sign in first (URL elicitation).
  const handle = (method: string, handler: Parameters<typeof signInRounds>[1]) =>
    setHubRequestHandler(server, method, signInRounds(scope, handler));

  handle('prompts/get', async (request, ctx) => {
    const params = request.params ?? {};
    const name = String(params.name);
    const route = await resolvePrompt(services, name, ctx.mcpReq.signal);
    services.catalogViews.assertAdmits(session, 'prompts', { upstream: route.upstream.id, name });
    const meta = outgoingMeta(scope, params._meta);
    const prompt = route.item;
    return forward(services, callerOf(scope, ctx), ctx, {
      access: {
        action: 'prompts/get',
        target: name,
        upstream: route.upstream.id,
        upstreamTarget: route.name,
        ...(params.arguments ? { arguments: params.arguments as Params } : {}),
        ...(prompt.title ? { title: prompt.title } : {}),
        ...(prompt.description ? { description: prompt.description } : {}),
        ...(meta ? { meta } : {}),
        ...claimsDropped(scope, params._meta),
      },
      call: {
        upstream: route.upstream,
        method: 'prompts/get',
        params: withClientLogLevel(
          scope,
          route.upstream,
          { ...params, name: route.name, _meta: meta },
          ctx,
        ),
        signal: ctx.mcpReq.signal,
        ...callerLease(scope, route.upstream),
      },
      map: (result) => mapPromptResult(route.upstream, result),
    });
  });

  handle('resources/read', async (request, ctx) => {
    const params = request.params ?? {};
    assertOpen(services);
    const uri = String(params.uri);
    const target = resolveResource(services, uri);
    services.catalogViews.assertAdmits(session, 'resources', {
      upstream: target.upstream.id,
      name: uri,
    });
    const meta = outgoingMeta(scope, params._meta);
    const caller = callerOf(scope, ctx);
    const access = {
      action: 'resources/read',
      target: uri,
      upstream: target.upstream.id,
      upstreamTarget: target.name,
      ...(meta ? { meta } : {}),
      ...claimsDropped(scope, params._meta),
    };
    // MCP Apps: the UI of tools the caller may not see is refused like those tools' calls.
    if (services.views.hidesApp(session, uri)) {
      await refuse(services, access, caller, appDenied('resources/read', uri));
    }
    services.views.noteRead(session, uri);
    return forward(services, caller, ctx, {
      access,
      call: {
        upstream: target.upstream,
        method: 'resources/read',
        params: withClientLogLevel(
          scope,
          target.upstream,
          { ...params, uri: target.name, _meta: meta },
          ctx,
        ),
        signal: ctx.mcpReq.signal,
        ...callerLease(scope, target.upstream),
      },
      map: (result) => mapResourceResult(target.upstream, result),
    });
  });

  setHubRequestHandler(server, 'resources/subscribe', async (request, ctx) => {
    const uri = String(request.params?.uri);
    const target = resolveResource(services, uri);
    services.catalogViews.assertAdmits(session, 'resources', {
      upstream: target.upstream.id,
      name: uri,
    });
    const caller = callerOf(scope, ctx);
    const access = {
      action: 'resources/subscribe',
      target: uri,
      upstream: target.upstream.id,
      upstreamTarget: target.name,
    };
    if (services.views.hidesApp(session, uri)) {
      await refuse(services, access, caller, appDenied('resources/subscribe', uri));
    }
    return forward(services, caller, ctx, {
      access,
      local: async () => {
        await services.subscriptions.subscribe(session, uri);
        return {};
      },
    });
  });

  setHubRequestHandler(server, 'resources/unsubscribe', async (request) => {
    await services.subscriptions.unsubscribe(session, String(request.params?.uri));
    return {};
  });
}
