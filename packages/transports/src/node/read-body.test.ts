import { FedmcpError, InvalidRequestError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { RequestBodyTooLargeError } from './read-body.js';

describe('RequestBodyTooLargeError', () => {
  it('is a FedmcpError (INVALID_REQUEST) that instanceof tells from other invalid requests', () => {
    const error = new RequestBodyTooLargeError(10);
    expect(FedmcpError.isInstance(error)).toBe(true);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.limitBytes).toBe(10);
    expect(error.message).toBe('Payload too large: the request body exceeds the limit of 10 bytes');
    expect(error).toBeInstanceOf(RequestBodyTooLargeError);
    expect(error).toBeInstanceOf(FedmcpError);
    expect(new InvalidRequestError({ reason: 'x' })).not.toBeInstanceOf(RequestBodyTooLargeError);
  });
});
