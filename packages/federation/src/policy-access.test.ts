import { createPolicy, type PolicyRule, type Principal } from '@fedmcp/proxy-auth';
import { describe, expect, it } from 'vitest';
import type { AccessRequest } from './hub-access.js';
import { createPolicyAccess } from './policy-access.js';

const local: Principal = {
  subject: 'alice',
  groups: [],
  scopes: [],
  authMethod: 'api-key',
};
const peer = (via: string[], subject = 'bob'): Principal => ({
  subject,
  issuer: via[0],
  groups: [],
  scopes: [],
  authMethod: 'peer',
  via,
});

function call(principal: Principal, target: string): AccessRequest {
  return {
    principal,
    action: 'tools/call',
    target,
    upstream: target.split('__')[0] ?? '',
    upstreamTarget: target,
    canElicit: false,
  };
}

function accessWith(rules: PolicyRule[], peerDefault?: 'deny' | 'allow') {
  return createPolicyAccess({
    policy: createPolicy(rules),
    ...(peerDefault ? { peerDefault } : {}),
  });
}

const visible = (access: ReturnType<typeof accessWith>, principal: Principal, target: string) =>
  access.visible?.(principal, 'tools/list', target, { upstream: target.split('__')[0] ?? '' });

describe('createPolicyAccess peerDefault', () => {
  it('shows and allows nothing to a peer when the policy is empty (default deny)', async () => {
    const access = accessWith([]);
    expect(visible(access, local, 'github__search')).toBe(true);
    expect(visible(access, peer(['eu']), 'github__search')).toBe(false);
    expect((await access.check!(call(local, 'github__search'))).kind).toBe('allow');
    const verdict = await access.check!(call(peer(['eu']), 'github__search'));
    expect(verdict).toMatchObject({ kind: 'deny' });
    expect(String((verdict as { error: Error }).error.message)).toContain(
      'No policy rule exports tools/call on "github__search" to peer hubs',
    );
  });

  it('does not let a "*" rule export to peers', async () => {
    const access = accessWith([{ effect: 'allow', subjects: ['*'], actions: ['*'] }]);
    expect(visible(access, local, 'github__search')).toBe(true);
    expect(visible(access, peer(['eu']), 'github__search')).toBe(false);
    expect((await access.check!(call(peer(['eu']), 'github__search'))).kind).toBe('deny');
  });

  it('exports what a rule naming the peer allows, and only to that peer', async () => {
    const access = accessWith([
      { effect: 'allow', subjects: ['*'], actions: ['*'] },
      {
        id: 'eu-github',
        effect: 'allow',
        subjects: ['via:eu'],
        actions: ['tools/call'],
        targets: ['github__*'],
      },
    ]);
    expect(visible(access, peer(['eu']), 'github__search')).toBe(true);
    expect(visible(access, peer(['eu']), 'files__read')).toBe(false);
    expect(visible(access, peer(['us']), 'github__search')).toBe(false);
    expect((await access.check!(call(peer(['eu']), 'github__search'))).kind).toBe('allow');
    expect((await access.check!(call(peer(['eu']), 'files__read'))).kind).toBe('deny');
    // Users further down the chain (edge → eu → here) arrive through eu too.
    expect((await access.check!(call(peer(['eu', 'edge']), 'github__search'))).kind).toBe('allow');
  });

  it('accepts issuer: and method:peer subjects as naming peers; deny rules still win', async () => {
    const access = accessWith([
      { id: 'no-admin', effect: 'deny', subjects: ['*'], actions: ['*'], targets: ['*__admin'] },
      { effect: 'allow', subjects: ['issuer:eu'], actions: ['*'], targets: ['github__*'] },
      { effect: 'allow', subjects: ['method:peer'], actions: ['*'], targets: ['docs__*'] },
    ]);
    expect((await access.check!(call(peer(['eu']), 'github__search'))).kind).toBe('allow');
    expect((await access.check!(call(peer(['us']), 'docs__read'))).kind).toBe('allow');
    expect((await access.check!(call(peer(['us']), 'github__search'))).kind).toBe('deny');
    const admin = await access.check!(call(peer(['eu']), 'github__admin'));
    expect(admin).toMatchObject({ kind: 'deny' });
    expect(String((admin as { error: Error }).error.message)).toContain('"no-admin"');
  });

  it('names the deciding rule as in the whole policy', async () => {
    const access = accessWith([
      { effect: 'allow', subjects: ['*'], actions: ['*'] },
      { effect: 'deny', subjects: ['via:eu'], actions: ['*'], targets: ['secret__*'] },
      { effect: 'allow', subjects: ['via:eu'], actions: ['*'] },
    ]);
    const denied = await access.check!(call(peer(['eu']), 'secret__x'));
    expect(String((denied as { error: Error }).error.message)).toContain('"#1"');
  });

  it("with peerDefault: 'allow', decides peers like everyone else", async () => {
    const open = accessWith([], 'allow');
    expect(visible(open, peer(['eu']), 'github__search')).toBe(true);
    expect((await open.check!(call(peer(['eu']), 'github__search'))).kind).toBe('allow');
    const starred = accessWith([{ effect: 'allow', subjects: ['*'], actions: ['*'] }], 'allow');
    expect((await starred.check!(call(peer(['eu']), 'github__search'))).kind).toBe('allow');
  });
});

describe('createPolicyAccess verdicts', () => {
  it('decides an allowed call at once, and records a refusal before its verdict', async () => {
    const events: Array<{ type: string; outcome: string }> = [];
    let release: () => void = () => {};
    const written = new Promise<void>((resolve) => {
      release = resolve;
    });
    const access = createPolicyAccess({
      policy: createPolicy([
        { effect: 'allow', subjects: ['*'], actions: ['*'] },
        {
          id: 'no-deletes',
          effect: 'deny',
          subjects: ['*'],
          actions: ['tools/call'],
          targets: ['*__delete'],
        },
      ]),
      audit: {
        record: async (event) => {
          events.push({ type: event.type, outcome: String(event.outcome) });
          await written;
          return { ...event, time: '' } as never;
        },
      },
    });
    // No rate limit, no consent: the verdict itself, not a promise of it.
    expect(access.check!(call(local, 'github__search'))).toEqual({ kind: 'allow' });
    const denied = access.check!(call(local, 'github__delete'));
    expect(denied).toBeInstanceOf(Promise);
    let settled = false;
    void Promise.resolve(denied).then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    // The refusal's audit record is written first: the verdict waits for it.
    expect(events).toEqual([{ type: 'policy', outcome: 'denied' }]);
    expect(settled).toBe(false);
    release();
    expect(await denied).toMatchObject({ kind: 'deny' });
  });

  it('still answers when the audit log throws or rejects', async () => {
    for (const record of [
      () => {
        throw new Error('sink down');
      },
      () => Promise.reject(new Error('sink down')),
    ]) {
      const access = createPolicyAccess({
        policy: createPolicy([
          { effect: 'allow', subjects: ['*'], actions: ['*'] },
          { effect: 'deny', subjects: ['*'], actions: ['tools/call'], targets: ['*__delete'] },
        ]),
        audit: { record: record as never },
      });
      expect(await access.check!(call(local, 'github__delete'))).toMatchObject({ kind: 'deny' });
      const request = call(local, 'github__search');
      expect(access.check!(request)).toEqual({ kind: 'allow' });
      await expect(access.completed!(request, { ok: true, latencyMs: 1 })).resolves.toBeUndefined();
    }
  });
});
