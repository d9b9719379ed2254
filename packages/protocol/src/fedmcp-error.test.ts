import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FEDMCP_ERROR_BRAND, FedmcpError } from './fedmcp-error.js';
import { FEDMCP_ERROR_CODES, type FedmcpErrorCode } from './fedmcp-error-codes.js';
import { LoopDetectedError } from './loop-detected-error.js';
import { PolicyDeniedError } from './policy-denied-error.js';
import { RateLimitedError } from './rate-limited-error.js';
import { UpstreamUnavailableError } from './upstream-unavailable-error.js';

describe('FedmcpError', () => {
  it('carries code, message, data and cause', () => {
    const cause = new Error('boom');
    const error = new FedmcpError('POLICY_DENIED', 'Denied.', { cause, data: { tool: 'a__b' } });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('POLICY_DENIED');
    expect(error.message).toBe('Denied.');
    expect(error.cause).toBe(cause);
    expect(error.data).toEqual({ tool: 'a__b' });
    expect(error.jsonRpcCode).toBe(-32062);
    expect(error.httpStatus).toBe(403);
    expect(error.name).toBe('FedmcpError');
  });

  it('serialises to a JSON-RPC error with the local code in data', () => {
    const error = new PolicyDeniedError({
      action: 'tools/call',
      target: 'github__delete_repo',
      subject: 'alice',
    });
    expect(error.toJsonRpcError()).toMatchInlineSnapshot(`
      {
        "code": -32062,
        "data": {
          "action": "tools/call",
          "fedmcpCode": "POLICY_DENIED",
          "subject": "alice",
          "target": "github__delete_repo",
        },
        "message": "The access policy does not allow "alice" to perform "tools/call" on "github__delete_repo". Ask a hub administrator to grant access if you need it.",
      }
    `);
  });

  it('round-trips through the wire format', () => {
    const original = new RateLimitedError({ retryAfterMs: 1500, limit: '60/min' });
    const wire = JSON.parse(JSON.stringify(original.toJsonRpcError()));
    const rebuilt = FedmcpError.fromJsonRpcError(wire);
    expect(rebuilt.code).toBe('RATE_LIMITED');
    expect(rebuilt.message).toBe(original.message);
    expect(rebuilt.data).toEqual({ retryAfterMs: 1500, limit: '60/min' });
    expect(rebuilt.toJsonRpcError()).toEqual(original.toJsonRpcError());
  });

  it('keeps a non-fedmcp JSON-RPC error exactly as received', () => {
    const wire = { code: -32602, message: 'Resource not found', data: { uri: 'file:///x' } };
    const error = FedmcpError.fromJsonRpcError(wire);
    expect(error.code).toBe('INVALID_PARAMS');
    expect(error.data).toEqual({ uri: 'file:///x' });
    expect(error.toJsonRpcError()).toEqual(wire);
    const bare = FedmcpError.fromJsonRpcError({ code: -32099, message: 'custom' });
    expect(bare.code).toBe('INTERNAL');
    expect(bare.toJsonRpcError()).toEqual({ code: -32099, message: 'custom' });
    const stringData = FedmcpError.fromJsonRpcError({ code: -32001, message: 't', data: 'late' });
    expect(stringData.code).toBe('REQUEST_TIMEOUT');
    expect(stringData.data).toEqual({ value: 'late' });
    expect(stringData.toJsonRpcError()).toEqual({ code: -32001, message: 't', data: 'late' });
  });

  describe('from()', () => {
    it('returns a fedmcp error of this copy unchanged', () => {
      const error = new UpstreamUnavailableError({ upstreamId: 'github' });
      expect(FedmcpError.from(error)).toBe(error);
    });

    it('maps AbortError (DOMException and Error) to CANCELED', () => {
      const domAbort = new DOMException('aborted', 'AbortError');
      const fromDom = FedmcpError.from(domAbort);
      expect(fromDom.code).toBe('CANCELED');
      expect(fromDom.cause).toBe(domAbort);
      const controller = new AbortController();
      controller.abort();
      expect(FedmcpError.from(controller.signal.reason).code).toBe('CANCELED');
      const errorAbort = Object.assign(new Error('stop'), { name: 'AbortError' });
      expect(FedmcpError.from(errorAbort).code).toBe('CANCELED');
    });

    it('maps TimeoutError to REQUEST_TIMEOUT', () => {
      const timeout = new DOMException('timed out', 'TimeoutError');
      const error = FedmcpError.from(timeout);
      expect(error.code).toBe('REQUEST_TIMEOUT');
      expect(error.jsonRpcCode).toBe(-32061);
      expect(error.cause).toBe(timeout);
    });

    it('maps the MCP SDK timeout and connection-closed errors', () => {
      const sdkTimeout = Object.assign(new Error('Request timed out'), { code: 'REQUEST_TIMEOUT' });
      expect(FedmcpError.from(sdkTimeout).code).toBe('REQUEST_TIMEOUT');
      const sdkClosed = Object.assign(new Error('Connection closed'), {
        code: 'CONNECTION_CLOSED',
      });
      // A closed SDK connection is the upstream being unavailable, as the hub answers it.
      expect(FedmcpError.from(sdkClosed).code).toBe('UPSTREAM_UNAVAILABLE');
      const unsupported = Object.assign(new Error('no'), {
        code: 'METHOD_NOT_SUPPORTED_BY_PROTOCOL_VERSION',
      });
      expect(FedmcpError.from(unsupported).toJsonRpcError().code).toBe(-32601);
    });

    it('maps network failures, also inside a failed fetch', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
        code: 'ECONNREFUSED',
      });
      const fetchFailed = new TypeError('fetch failed', { cause: refused });
      const error = FedmcpError.from(fetchFailed);
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.cause).toBe(fetchFailed);
      expect(error.message).toMatchInlineSnapshot(
        `"The server could not be reached (fetch failed); check its URL and that it is running, then retry."`,
      );
      expect(FedmcpError.from(Object.assign(new Error('x'), { code: 'ECONNRESET' })).code).toBe(
        'TRANSPORT_CLOSED',
      );
    });

    it('keeps code, message and data of a JSON-RPC-shaped error', () => {
      const thrown = Object.assign(new Error('Unknown tool: x'), {
        code: -32602,
        data: { name: 'x' },
      });
      const error = FedmcpError.from(thrown);
      expect(error.code).toBe('INVALID_PARAMS');
      expect(error.cause).toBe(thrown);
      expect(error.toJsonRpcError()).toEqual({
        code: -32602,
        message: 'Unknown tool: x',
        data: { name: 'x' },
      });
      const fromPeer = FedmcpError.from({
        code: -32062,
        message: 'denied',
        data: { fedmcpCode: 'POLICY_DENIED', tool: 't' },
      });
      expect(fromPeer.code).toBe('POLICY_DENIED');
      expect(fromPeer.data).toEqual({ tool: 't' });
    });

    it('does not read the numeric code of a DOMException as a JSON-RPC code', () => {
      const error = FedmcpError.from(new DOMException('bad state', 'InvalidStateError'));
      expect(error.code).toBe('INTERNAL');
      expect(error.toJsonRpcError().code).toBe(-32603);
    });

    it('wraps anything else as INTERNAL with the cause', () => {
      const thrown = new TypeError('x is not a function');
      const error = FedmcpError.from(thrown);
      expect(error.code).toBe('INTERNAL');
      expect(error.cause).toBe(thrown);
      expect(error.message).toContain('x is not a function');
      expect(FedmcpError.from('plain string').message).toContain('plain string');
      expect(FedmcpError.from(undefined).code).toBe('INTERNAL');
      expect(FedmcpError.from({ code: 'WHATEVER' }).code).toBe('INTERNAL');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(FedmcpError.from(cyclic).message).toContain('[object Object]');
      expect(FedmcpError.from(Object.create(null)).code).toBe('INTERNAL');
    });
  });

  describe('brand across duplicate installs', () => {
    // A copy of the package installed twice has its own class; only the Symbol.for brand is shared.
    const foreign = {
      [Symbol.for('@fedmcp/error')]: true,
      name: 'PolicyDeniedError',
      code: 'POLICY_DENIED',
      message: 'denied elsewhere',
      data: { tool: 't' },
    };

    it('is recognised by isInstance and instanceof', () => {
      expect(FEDMCP_ERROR_BRAND).toBe(Symbol.for('@fedmcp/error'));
      expect(FedmcpError.isInstance(foreign)).toBe(true);
      expect(foreign instanceof FedmcpError).toBe(true);
      expect(PolicyDeniedError.isInstance(foreign)).toBe(true);
      expect(UpstreamUnavailableError.isInstance(foreign)).toBe(false);
      expect(FedmcpError.isInstance(new Error('x'))).toBe(false);
      expect(FedmcpError.isInstance({ code: 'POLICY_DENIED', message: 'x' })).toBe(false);
      expect(FedmcpError.isInstance(null)).toBe(false);
    });

    it('is rebuilt by from() as an error of this copy', () => {
      const error = FedmcpError.from(foreign);
      expect(Object.getPrototypeOf(error)).toBe(FedmcpError.prototype);
      expect(error.code).toBe('POLICY_DENIED');
      expect(error.message).toBe('denied elsewhere');
      expect(error.data).toEqual({ tool: 't' });
    });

    it('scopes subclass guards to their code', () => {
      const error = new LoopDetectedError({
        hopTrail: ['a', 'b'],
        reason: 'revisit',
        selfId: 'a',
        maxHops: 4,
      });
      expect(LoopDetectedError.isInstance(error)).toBe(true);
      expect(error instanceof LoopDetectedError).toBe(true);
      expect(error instanceof PolicyDeniedError).toBe(false);
      expect(FedmcpError.isInstance(error)).toBe(true);
    });
  });

  it('has a distinct wire code for every fedmcp-range code, inside -32099…-32000', () => {
    const fedmcpRange = Object.values(FEDMCP_ERROR_CODES)
      .map((info) => info.jsonRpcCode)
      .filter((code) => code >= -32099 && code <= -32000);
    expect(new Set(fedmcpRange).size).toBe(fedmcpRange.length);
    for (const reserved of [-32000, -32001, -32002, -32020, -32021, -32022, -32042]) {
      expect(fedmcpRange).not.toContain(reserved);
    }
  });

  it('round-trips every code through the wire (property)', () => {
    const codes = Object.keys(FEDMCP_ERROR_CODES) as FedmcpErrorCode[];
    const data = fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((key) => key !== 'fedmcpCode'),
      fc.jsonValue(),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...codes), fc.string(), data, (code, message, details) => {
        const original = new FedmcpError(code, message, { data: details });
        const wire = JSON.parse(JSON.stringify(original.toJsonRpcError()));
        const rebuilt = FedmcpError.fromJsonRpcError(wire);
        expect(rebuilt.code).toBe(code);
        expect(rebuilt.toJsonRpcError()).toEqual(wire);
      }),
    );
  });

  it('normalises anything thrown into a wire-safe error (property)', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true }), (thrown) => {
        const error = FedmcpError.from(thrown);
        expect(FedmcpError.isInstance(error)).toBe(true);
        const wire = error.toJsonRpcError();
        expect(Number.isInteger(wire.code)).toBe(true);
        expect(typeof wire.message).toBe('string');
      }),
    );
  });
});
