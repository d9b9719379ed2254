import { parseTraceparent, TRACEPARENT_META_KEY } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { traceIdOf } from './policy-access.js';

describe('traceIdOf', () => {
  it('gives the trace id parseTraceparent gives, for valid, invalid, repeated and absent values', () => {
    const values: unknown[] = [
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      '00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\n',
      '02-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'not a traceparent',
      '',
      42,
      undefined,
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ];
    for (const value of values) {
      const meta = value === undefined ? {} : { [TRACEPARENT_META_KEY]: value };
      expect(traceIdOf(meta), String(value)).toBe(parseTraceparent(value)?.traceId);
    }
    expect(traceIdOf(undefined)).toBeUndefined();
  });
});
