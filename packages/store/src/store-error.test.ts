import { FedmcpError, InvalidRequestError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { StoreError } from './store-error.js';

describe('StoreError', () => {
  it('is a FedmcpError with its store code, kept as is by FedmcpError.from', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new StoreError('STORE_UNAVAILABLE', 'Redis is not reachable.', { cause });
    expect(error.name).toBe('StoreError');
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.cause).toBe(cause);
    expect(FedmcpError.isInstance(error)).toBe(true);
    expect(FedmcpError.from(error)).toBe(error);
    expect(error.toJsonRpcError()).toEqual({
      code: -32070,
      message: 'Redis is not reachable.',
      data: { fedmcpCode: 'STORE_UNAVAILABLE' },
    });
    expect(error.httpStatus).toBe(503);
  });

  it('is told apart from other fedmcp errors by isInstance and instanceof', () => {
    const error = new StoreError('STORE_CLOSED', 'closed');
    expect(StoreError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toBeInstanceOf(FedmcpError);
    const other = new InvalidRequestError({ reason: 'x' });
    expect(StoreError.isInstance(other)).toBe(false);
    expect(other).not.toBeInstanceOf(StoreError);
    // A StoreError of another copy of the package carries the same registered brand.
    const foreign = { [Symbol.for('@fedmcp/store/StoreError')]: true, code: 'STORE_FAILED' };
    expect(StoreError.isInstance(foreign)).toBe(true);
  });
});
