import type { ServerEventBus } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { Upstream } from '../upstream.js';
import type { FlowRegistry } from './flow-registry.js';
import { MAX_TRACKED_ELICITATIONS, NotificationRouter } from './notification-router.js';
import { type HubSession, SessionRegistry } from './session-registry.js';
import type { SessionViews } from './session-views.js';
import type { UpstreamSet } from './upstream-set.js';

const upstream = { id: 'up' } as Upstream;

/** A router over a real session registry; the parts URL elicitations do not touch are left out. */
function routerWith(sessions = new SessionRegistry()) {
  const router = new NotificationRouter({
    sessions,
    views: {} as SessionViews,
    flows: {} as FlowRegistry,
    upstreams: {} as UpstreamSet,
    bus: {} as ServerEventBus,
    debounceMs: 10,
  });
  return { router, sessions };
}

/** A session whose server records the notifications sent to it. */
function sessionOf(era: HubSession['era']) {
  const sent: unknown[] = [];
  const server = { notification: async (notification: unknown) => void sent.push(notification) };
  const session = {
    server,
    era,
    sessionId: undefined,
    pinned: false,
    principal: undefined,
  } as unknown as HubSession;
  return { session, sent };
}

const urlElicitation = (elicitationId: string) => ({
  mode: 'url',
  url: 'https://example.com/consent',
  message: 'Open the page',
  elicitationId,
});

describe('NotificationRouter URL elicitations', () => {
  it('tells the 2025-era session that started one of its completion, and no other', () => {
    const { router, sessions } = routerWith();
    const starter = sessionOf('legacy');
    const bystander = sessionOf('legacy');
    sessions.add(starter.session);
    sessions.add(bystander.session);
    router.trackElicitation(upstream, urlElicitation('e1'), starter.session);
    expect(router.trackedElicitations).toBe(1);
    router.deliverElicitationComplete(upstream, { elicitationId: 'e1' });
    expect(starter.sent).toEqual([
      { method: 'notifications/elicitation/complete', params: { elicitationId: 'e1' } },
    ]);
    expect(bystander.sent).toEqual([]);
    expect(router.trackedElicitations).toBe(0);
  });

  it("remembers none that no completion could reach: a 2026-07-28 call's, a closed session's, a form's", async () => {
    const { router, sessions } = routerWith();
    // A 2026-07-28 request's session is never registered and never closes.
    const modern = sessionOf('modern');
    router.trackElicitation(upstream, urlElicitation('m1'), modern.session);
    const closed = sessionOf('legacy');
    sessions.add(closed.session);
    await sessions.remove(closed.session);
    router.trackElicitation(upstream, urlElicitation('c1'), closed.session);
    const open = sessionOf('legacy');
    sessions.add(open.session);
    router.trackElicitation(upstream, { mode: 'form', message: 'Who?' }, open.session);
    expect(router.trackedElicitations).toBe(0);
    router.deliverElicitationComplete(upstream, { elicitationId: 'm1' });
    expect(modern.sent).toEqual([]);
  });

  it('keeps the newest ones when an upstream never completes what it starts', () => {
    const { router, sessions } = routerWith();
    const { session, sent } = sessionOf('legacy');
    sessions.add(session);
    for (let index = 0; index <= MAX_TRACKED_ELICITATIONS; index++) {
      router.trackElicitation(upstream, urlElicitation(`e${index}`), session);
    }
    expect(router.trackedElicitations).toBe(MAX_TRACKED_ELICITATIONS);
    router.deliverElicitationComplete(upstream, { elicitationId: 'e0' }); // the oldest, dropped
    router.deliverElicitationComplete(upstream, {
      elicitationId: `e${MAX_TRACKED_ELICITATIONS}`,
    });
    expect(sent).toEqual([
      {
        method: 'notifications/elicitation/complete',
        params: { elicitationId: `e${MAX_TRACKED_ELICITATIONS}` },
      },
    ]);
  });
});
