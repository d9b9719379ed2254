import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import {
  consentElicitation,
  consentRequiredError,
  DEFAULT_CONSENT_PERIODS,
  parseConsentAnswer,
  parseConsentPeriod,
} from './consent-elicitation.js';

function thrown(run: () => unknown): FedmcpError {
  try {
    run();
  } catch (error) {
    expect(FedmcpError.isInstance(error)).toBe(true);
    return error as FedmcpError;
  }
  throw new Error('expected an error');
}

describe('consentElicitation', () => {
  it('asks about the call in form mode with a flat schema of titled choices', () => {
    const params = consentElicitation({
      target: 'github__create_issue',
      upstream: 'github',
      title: 'Create issue',
      description: 'Creates an issue in a repository.',
      arguments: { repo: 'fedmcp', title: 'Bug', apiKey: 'k-123', nested: { password: 'hunter2' } },
    });
    expect(params).toMatchInlineSnapshot(`
      {
        "message": "Allow the tool Create issue (github__create_issue) on server "github" to run?
      Tool description: Creates an issue in a repository.
      Arguments (secrets hidden):
      {
        "repo": "fedmcp",
        "title": "Bug",
        "apiKey": "[REDACTED]",
        "nested": {
          "password": "[REDACTED]"
        }
      }",
        "mode": "form",
        "requestedSchema": {
          "properties": {
            "decision": {
              "description": "Allow this call once, allow this tool for a period or always, or deny it.",
              "oneOf": [
                {
                  "const": "allow_once",
                  "title": "Allow once",
                },
                {
                  "const": "allow_for_period",
                  "title": "Allow for a period",
                },
                {
                  "const": "always_allow",
                  "title": "Always allow",
                },
                {
                  "const": "deny",
                  "title": "Deny",
                },
              ],
              "title": "Your decision",
              "type": "string",
            },
            "period": {
              "default": "15m",
              "description": "How long "Allow for a period" lasts.",
              "oneOf": [
                {
                  "const": "15m",
                  "title": "15 minutes",
                },
                {
                  "const": "1h",
                  "title": "1 hour",
                },
                {
                  "const": "8h",
                  "title": "8 hours",
                },
                {
                  "const": "24h",
                  "title": "24 hours",
                },
              ],
              "title": "Period",
              "type": "string",
            },
          },
          "required": [
            "decision",
          ],
          "type": "object",
        },
      }
    `);
  });

  it('keeps the schema to primitive properties (MCP 2025-11-25 restricted schema)', () => {
    const { requestedSchema } = consentElicitation({
      target: 't',
      upstream: 'u',
      arguments: {},
    });
    expect(requestedSchema.type).toBe('object');
    for (const property of Object.values(requestedSchema.properties)) {
      expect(property.type).toBe('string');
      expect(Object.keys(property).sort()).not.toContain('properties');
      expect(Object.keys(property).sort()).not.toContain('items');
    }
  });

  it('redacts credential-shaped values, configured secrets, and shortens long arguments', () => {
    const { message } = consentElicitation({
      target: 'http__fetch',
      upstream: 'web',
      arguments: {
        headers: 'Bearer abcdefghijklmnop',
        body: 'contains s3cr3t-value here',
        blob: 'x'.repeat(5_000),
      },
      redact: { secretValues: ['s3cr3t-value'] },
    });
    expect(message).not.toContain('abcdefghijklmnop');
    expect(message).not.toContain('s3cr3t-value');
    expect(message).toContain('[REDACTED]');
    expect(message.length).toBeLessThan(2_300);
    expect(message.endsWith('…')).toBe(true);
  });

  it('offers configured periods, and the legacy enum spelling on request', () => {
    const { requestedSchema } = consentElicitation({
      target: 't',
      upstream: 'u',
      arguments: {},
      periodOptions: ['30m', '7d'],
      enumStyle: 'legacy',
    });
    expect(requestedSchema.properties.period).toEqual({
      type: 'string',
      title: 'Period',
      description: 'How long "Allow for a period" lasts.',
      enum: ['30m', '7d'],
      enumNames: ['30 minutes', '7 days'],
      default: '30m',
    });
    expect(requestedSchema.properties.decision).toMatchObject({
      enum: ['allow_once', 'allow_for_period', 'always_allow', 'deny'],
      enumNames: ['Allow once', 'Allow for a period', 'Always allow', 'Deny'],
    });
  });

  it('refuses an empty target or upstream and malformed periods', () => {
    expect(
      thrown(() => consentElicitation({ target: '', upstream: 'u', arguments: {} })).code,
    ).toBe('INVALID_REQUEST');
    expect(
      thrown(() => consentElicitation({ target: 't', upstream: ' ', arguments: {} })).message,
    ).toMatch(/upstream must be a non-empty string/);
    const error = thrown(() =>
      consentElicitation({ target: 't', upstream: 'u', arguments: {}, periodOptions: ['1 hour'] }),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/periodOptions.*"1 hour" is not a period/);
    expect(
      thrown(() =>
        consentElicitation({ target: 't', upstream: 'u', arguments: {}, periodOptions: [] }),
      ).code,
    ).toBe('INVALID_CONFIG');
  });
});

describe('parseConsentAnswer', () => {
  it('maps each choice to a decision, scope and whether to store it', () => {
    const accept = (content: Record<string, unknown>) =>
      parseConsentAnswer({ action: 'accept', content });
    expect(accept({ decision: 'allow_once' })).toEqual({
      decision: 'allow',
      scope: 'once',
      action: 'accept',
      store: false,
    });
    expect(accept({ decision: 'allow_for_period', period: '8h' })).toEqual({
      decision: 'allow',
      scope: 'until',
      periodMs: 8 * 3_600_000,
      action: 'accept',
      store: true,
    });
    expect(accept({ decision: 'always_allow', period: '1h' })).toEqual({
      decision: 'allow',
      scope: 'always',
      action: 'accept',
      store: true,
    });
    expect(accept({ decision: 'deny' })).toEqual({
      decision: 'deny',
      scope: 'always',
      action: 'accept',
      store: true,
    });
  });

  it('uses the first offered period when the client sent none', () => {
    expect(
      parseConsentAnswer({ action: 'accept', content: { decision: 'allow_for_period' } }).periodMs,
    ).toBe(15 * 60_000);
    expect(
      parseConsentAnswer(
        { action: 'accept', content: { decision: 'allow_for_period' } },
        { periodOptions: ['2h'] },
      ).periodMs,
    ).toBe(2 * 3_600_000);
  });

  it('turns decline and cancel into a deny of this call only', () => {
    for (const action of ['decline', 'cancel'] as const) {
      expect(parseConsentAnswer({ action })).toEqual({
        decision: 'deny',
        scope: 'once',
        action,
        store: false,
      });
    }
  });

  it('refuses malformed answers with a clear error', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /the result is not an object/],
      [{ action: 'yes' }, /action must be "accept", "decline" or "cancel", got "yes"/],
      [{ action: 'accept' }, /an accepted answer has no content/],
      [{ action: 'accept', content: {} }, /decision must be one of .*got nothing/],
      [{ action: 'accept', content: { decision: 'sure' } }, /decision must be one of .*got "sure"/],
      [
        { action: 'accept', content: { decision: 'allow_for_period', period: '9999d' } },
        /period must be one of "15m", "1h", "8h", "24h", got "9999d"/,
      ],
      [
        { action: 'accept', content: { decision: 'allow_for_period', period: 3600 } },
        /period must be one of/,
      ],
    ];
    for (const [answer, message] of cases) {
      const error = thrown(() => parseConsentAnswer(answer));
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toMatch(/^Malformed answer to the consent question: /);
      expect(error.message).toMatch(message);
    }
  });
});

describe('parseConsentPeriod', () => {
  it('reads s, m, h and d periods', () => {
    expect(['30s', '15m', '1h', '7d'].map(parseConsentPeriod)).toEqual([
      30_000, 900_000, 3_600_000, 604_800_000,
    ]);
    expect(DEFAULT_CONSENT_PERIODS.map(parseConsentPeriod)).toEqual([
      900_000, 3_600_000, 28_800_000, 86_400_000,
    ]);
  });

  it('refuses anything else', () => {
    for (const text of ['', '0h', '-1h', '1.5h', '1w', 'h', '1 h x']) {
      const error = thrown(() => parseConsentPeriod(text));
      expect(error.code).toBe('INVALID_REQUEST');
      expect(error.message).toMatch(/use a whole number followed by s, m, h or d/);
    }
  });
});

describe('consentRequiredError', () => {
  it('says consent is required and how an operator pre-grants it, on the wire too', () => {
    const error = consentRequiredError({ target: 'github__create_issue', subject: "o'brien" });
    expect(error.code).toBe('CONSENT_REQUIRED');
    expect(error.message).toBe(
      `Calling "github__create_issue" needs the user's consent, and this client cannot answer an elicitation (it did not declare the elicitation capability). Use a client that supports elicitation, or ask an operator to pre-grant it: fedmcp consent grant --subject 'o'\\''brien' --target 'github__create_issue' --always (or --for 8h instead of --always).`,
    );
    expect(error.toJsonRpcError()).toMatchObject({
      code: -32063,
      data: {
        fedmcpCode: 'CONSENT_REQUIRED',
        target: 'github__create_issue',
        subject: "o'brien",
        preGrant:
          "fedmcp consent grant --subject 'o'\\''brien' --target 'github__create_issue' --always",
      },
    });
  });
});
