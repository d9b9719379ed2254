import { FedmcpError } from '@fedmcp/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPolicy, policyDeniedError } from './create-policy.js';
import { matchGlob } from './glob.js';
import type { PolicyRule } from './policy-schema.js';
import type { Principal } from './principal.js';
import { principalFromPatterns } from './principal-from-patterns.js';

const alice: Principal = {
  subject: 'alice',
  groups: ['dev'],
  scopes: ['tools.read'],
  authMethod: 'oauth',
};
const bob: Principal = { subject: 'bob', groups: ['sales'], scopes: [], authMethod: 'api-key' };
const viaEu: Principal = {
  subject: 'carol',
  groups: [],
  scopes: [],
  authMethod: 'peer',
  via: ['eu', 'us'],
};

const rules: PolicyRule[] = [
  {
    id: 'dev-tools',
    effect: 'allow',
    subjects: ['group:dev'],
    actions: ['tools/*'],
    targets: ['github__*', 'jira__*'],
  },
  {
    id: 'no-deletes',
    effect: 'deny',
    subjects: ['*'],
    actions: ['tools/call'],
    targets: ['*__delete_*'],
  },
  {
    id: 'readers',
    effect: 'allow',
    subjects: ['scope:tools.read'],
    actions: ['resources/read'],
    targets: ['file:///docs/*'],
  },
  {
    id: 'eu-peers',
    effect: 'allow',
    subjects: ['via:eu'],
    actions: ['prompts/get', 'prompts/list'],
    targets: ['*'],
  },
  { effect: 'allow', subjects: ['user:b?b'], actions: ['completion/complete'] },
];

describe('createPolicy', () => {
  const policy = createPolicy(rules);

  it('allows what a rule allows and says which rule decided', () => {
    expect(
      policy.decide({ principal: alice, action: 'tools/call', target: 'github__create_issue' }),
    ).toEqual({
      allowed: true,
      rule: 'dev-tools',
      ruleIndex: 0,
      reason: 'Policy rule "dev-tools" allows tools/call on "github__create_issue".',
      consentRequired: false,
      rateLimits: [],
    });
  });

  it('lets deny override an earlier allow', () => {
    expect(
      policy.decide({ principal: alice, action: 'tools/call', target: 'github__delete_repo' }),
    ).toMatchObject({
      allowed: false,
      rule: 'no-deletes',
      reason: 'Policy rule "no-deletes" denies tools/call on "github__delete_repo".',
    });
  });

  it('builds a POLICY_DENIED error that names only the deciding rule and the request', () => {
    const input = { principal: alice, action: 'tools/call', target: 'github__delete_repo' };
    const error = policyDeniedError(policy.decide(input), input);
    expect(error.toJsonRpcError()).toEqual({
      code: -32062,
      message:
        'Policy rule "no-deletes" denies tools/call on "github__delete_repo". Ask a hub administrator to change the policy if you need access.',
      data: {
        fedmcpCode: 'POLICY_DENIED',
        action: 'tools/call',
        target: 'github__delete_repo',
        subject: 'alice',
        rule: 'no-deletes',
      },
    });
    const fallthrough = { principal: bob, action: 'tools/call', target: 'github__x' };
    expect(policyDeniedError(policy.decide(fallthrough), fallthrough).data).toMatchObject({
      rule: null,
    });
  });

  it('denies by default what no rule allows', () => {
    const decision = policy.decide({
      principal: alice,
      action: 'tools/call',
      target: 'slack__post',
    });
    expect(decision).toMatchObject({
      allowed: false,
      reason: 'No policy rule allows tools/call on "slack__post" for alice.',
    });
    expect(decision.rule).toBeUndefined();
    expect(
      policy.decide({ principal: bob, action: 'tools/call', target: 'github__create_issue' })
        .allowed,
    ).toBe(false);
  });

  it('allows everything when there are no rules', () => {
    expect(
      createPolicy([]).decide({ principal: bob, action: 'tools/call', target: 'anything' }),
    ).toMatchObject({
      allowed: true,
      reason: 'No policy is configured, so everything is allowed.',
    });
  });

  it('matches subjects by scope, via and user glob, with #index names for rules without id', () => {
    expect(
      policy.decide({ principal: alice, action: 'resources/read', target: 'file:///docs/a.md' })
        .rule,
    ).toBe('readers');
    expect(
      policy.decide({ principal: alice, action: 'resources/read', target: 'file:///etc/passwd' })
        .allowed,
    ).toBe(false);
    expect(
      policy.decide({ principal: viaEu, action: 'prompts/get', target: 'eu__summarise' }).rule,
    ).toBe('eu-peers');
    expect(
      policy.decide({ principal: alice, action: 'prompts/get', target: 'eu__summarise' }).allowed,
    ).toBe(false);
    expect(policy.decide({ principal: bob, action: 'completion/complete' })).toMatchObject({
      allowed: true,
      rule: '#4',
    });
  });

  it('filters lists to what the caller may use', () => {
    const tools = [
      { name: 'github__create_issue' },
      { name: 'github__delete_repo' },
      { name: 'slack__post' },
      { name: 'jira__search' },
    ];
    expect(
      policy.filter(tools, alice, 'tools/call', (tool) => tool.name).map((tool) => tool.name),
    ).toEqual(['github__create_issue', 'jira__search']);
    expect(policy.filter(tools, bob, 'tools/call', (tool) => tool.name)).toEqual([]);
    // A list action is checked as its use action: tools/list → tools/call.
    expect(policy.filter(tools, alice, 'tools/list', (tool) => tool.name)).toHaveLength(2);
    const resources = [{ uri: 'file:///docs/a.md' }, { uri: 'file:///etc/passwd' }];
    expect(policy.filter(resources, alice, 'resources/list', (resource) => resource.uri)).toEqual([
      { uri: 'file:///docs/a.md' },
    ]);
  });

  it('applies annotation conditions with MCP defaults, and collects consent and rate limits', () => {
    const guarded = createPolicy([
      { id: 'all', effect: 'allow', subjects: ['*'], actions: ['tools/call'], targets: ['*'] },
      {
        id: 'confirm-destructive',
        subjects: ['*'],
        actions: ['tools/call'],
        when: { annotations: { destructiveHint: true } },
        consent: 'required',
      },
      {
        id: 'slow-down',
        subjects: ['group:dev'],
        actions: ['tools/call'],
        targets: ['github__*'],
        rateLimit: { limit: 10, per: 'minute', burst: 20, by: ['principal', 'upstream'] },
      },
    ]);
    const readOnly = guarded.decide({
      principal: alice,
      action: 'tools/call',
      target: 'x__list',
      annotations: { destructiveHint: false },
    });
    expect(readOnly).toMatchObject({
      allowed: true,
      rule: 'all',
      consentRequired: false,
      rateLimits: [],
    });
    // No annotations: MCP says destructiveHint defaults to true.
    expect(
      guarded.decide({ principal: bob, action: 'tools/call', target: 'x__drop' }).consentRequired,
    ).toBe(true);
    expect(
      guarded.decide({
        principal: alice,
        action: 'tools/call',
        target: 'github__x',
        upstream: 'github',
      }).rateLimits,
    ).toEqual([
      {
        rule: 'slow-down',
        key: 'rule=slow-down|p=oauth:alice|u=github',
        limit: { limit: 10, intervalMs: 60_000, burst: 20 },
      },
    ]);
    // An obligation rule never allows by itself.
    const onlyObligations = createPolicy([
      { subjects: ['*'], actions: ['tools/call'], consent: 'required' },
    ]);
    expect(
      onlyObligations.decide({ principal: alice, action: 'tools/call', target: 'x' }).allowed,
    ).toBe(false);
  });

  it('applies time windows in a time zone, wrapping past midnight', () => {
    const nightly = createPolicy([
      {
        id: 'night',
        effect: 'allow',
        subjects: ['*'],
        actions: ['tools/call'],
        when: {
          time: { from: '22:00', to: '06:00', timeZone: 'Europe/Berlin', days: ['mon', 'tue'] },
        },
      },
    ]);
    const at = (iso: string) =>
      nightly.decide({ principal: alice, action: 'tools/call', target: 't', now: new Date(iso) })
        .allowed;
    expect(at('2026-11-23T22:30:00Z')).toBe(true); // Monday 23:30 in Berlin
    expect(at('2026-11-23T12:00:00Z')).toBe(false); // Monday 13:00
    expect(at('2026-11-22T22:30:00Z')).toBe(false); // Sunday 23:30
  });

  it('reports invalid rules with the key path', () => {
    expect(() =>
      createPolicy([
        { effect: 'allow', subjects: ['*'], actions: ['tools/call'] },
        { effect: 'allow', subjects: ['dev'], actions: ['tool/call'] },
        { effect: 'permit' as 'allow', subjects: ['*'], actions: ['*'], extra: true } as PolicyRule,
      ]),
    ).toThrow(
      'Invalid policy: policy.rules[1].subjects[0]: expected "*" or a pattern like "user:alice", "group:dev", "scope:tools.read", "via:eu", "method:api-key" or "issuer:https://…"; policy.rules[1].actions[0]: expected an MCP operation such as "tools/call", "resources/read", "prompts/get" or a glob like "tools/*"; policy.rules[2].effect: Invalid option: expected one of "allow"|"deny"; policy.rules[2].extra: unknown key (check its spelling).',
    );
    expect(() =>
      createPolicy([{ subjects: ['*'], actions: ['tools/call'] }], { configPath: 'hub.policy' }),
    ).toThrow(/hub\.policy\[0\]\.effect: expected "allow" or "deny"/);
  });

  it('explains a decision for a principal given as subject patterns (fedmcp policy check)', () => {
    const principal = principalFromPatterns(['user:carol', 'via:eu', 'method:peer']);
    expect(principal).toEqual({
      subject: 'carol',
      groups: [],
      scopes: [],
      authMethod: 'peer',
      via: ['eu'],
    });
    expect(policy.explain({ principal, action: 'prompts/get', target: 'eu__summarise' })).toContain(
      'decision: ALLOW by rule "eu-peers"',
    );
    expect(
      principalFromPatterns(['bob', 'group:dev', 'scope:a', 'issuer:https://id.example.com/']),
    ).toEqual({
      subject: 'bob',
      issuer: 'https://id.example.com/',
      groups: ['dev'],
      scopes: ['a'],
      authMethod: 'oauth',
    });
    expect(() => principalFromPatterns(['group:dev'])).toThrow(/user:<subject>/);
    expect(() => principalFromPatterns(['user:a', 'role:x'])).toThrow(/"role:x" is not one of/);
    expect(() => principalFromPatterns(['user:a', 'method:magic'])).toThrow(/is not one of/);
  });

  it('explains a decision rule by rule', () => {
    expect(
      policy.explain({ principal: alice, action: 'tools/call', target: 'github__delete_repo' }),
    ).toBe(
      [
        'subject: alice (oauth), groups: dev, scopes: tools.read',
        'action: tools/call',
        'target: github__delete_repo',
        'decision: DENY by rule "no-deletes" — Policy rule "no-deletes" denies tools/call on "github__delete_repo".',
        'rules:',
        '   #0 "dev-tools" allow group:dev tools/* github__*,jira__*: applies',
        '=> #1 "no-deletes" deny * tools/call *__delete_*: applies',
        '   #2 "readers" allow scope:tools.read resources/read file:///docs/*: does not apply (action does not match)',
        '   #3 "eu-peers" allow via:eu prompts/get,prompts/list *: does not apply (subject does not match)',
        '   #4 allow user:b?b completion/complete *: does not apply (subject does not match)',
      ].join('\n'),
    );
  });
});

describe('createPolicy under random input', () => {
  const pattern = fc.oneof(
    fc.constantFrom(
      '*',
      'user:alice',
      'group:*',
      'scope:tools.?',
      'via:eu',
      'method:oauth',
      'bogus',
      'user:',
    ),
    fc.string({ maxLength: 12 }),
  );
  const action = fc.oneof(
    fc.constantFrom('tools/call', 'tools/*', '*', 'prompts/get', 'nope/x'),
    fc.string({ maxLength: 12 }),
  );
  const rule = fc.record(
    {
      id: fc.string({ maxLength: 8 }),
      effect: fc.constantFrom('allow', 'deny', 'maybe'),
      subjects: fc.array(pattern, { maxLength: 3 }),
      actions: fc.array(action, { maxLength: 3 }),
      targets: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
      when: fc.oneof(
        fc.constant(undefined),
        fc.record({ annotations: fc.dictionary(fc.string({ maxLength: 8 }), fc.boolean()) }),
      ),
      consent: fc.constantFrom(undefined, 'required', 'always'),
      extra: fc.anything({ maxDepth: 1 }),
    },
    { requiredKeys: [] },
  );

  it('either compiles and decides, or refuses with INVALID_CONFIG naming a path', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 5 }),
        fc.string({ maxLength: 20 }),
        (rules, target) => {
          let policy: ReturnType<typeof createPolicy>;
          try {
            policy = createPolicy(rules as PolicyRule[]);
          } catch (error) {
            expect(FedmcpError.isInstance(error) && error.code === 'INVALID_CONFIG').toBe(true);
            expect((error as FedmcpError).message).toMatch(/^Invalid policy: policy\.rules\[\d+\]/);
            return;
          }
          const decision = policy.decide({ principal: alice, action: 'tools/call', target });
          expect(typeof decision.allowed).toBe('boolean');
          expect(policy.explain({ principal: alice, action: 'tools/call', target })).toContain(
            'decision: ',
          );
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('matchGlob', () => {
  it('matches * across separators and ? as one character, whole value only', () => {
    expect(matchGlob('github__*', 'github__create_issue')).toBe(true);
    expect(matchGlob('*__delete_*', 'eu__github__delete_repo')).toBe(true);
    expect(matchGlob('file:///docs/*', 'file:///docs/a/b.md')).toBe(true);
    expect(matchGlob('b?b', 'bob')).toBe(true);
    expect(matchGlob('b?b', 'boob')).toBe(false);
    expect(matchGlob('github', 'github__x')).toBe(false);
    expect(matchGlob('*', '')).toBe(true);
    expect(matchGlob('a*b*c', 'aXbYc')).toBe(true);
    expect(matchGlob('a*b*c', 'aXbY')).toBe(false);
    expect(matchGlob(`${'*a'.repeat(30)}b`, 'a'.repeat(5_000))).toBe(false);
  });
});
