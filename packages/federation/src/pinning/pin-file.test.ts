import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { parsePinFile } from './pin-file.js';

const digest = `sha256:${'ab'.repeat(32)}`;

describe('parsePinFile', () => {
  it('accepts a pin file as text or value', () => {
    const file = {
      version: 1,
      upstreams: {
        github: { tools: { create_issue: { digest, pinnedAt: '2026-05-01T10:00:00.000Z' } } },
      },
    };
    expect(parsePinFile(JSON.stringify(file))).toEqual(file);
    expect(parsePinFile(file)).toEqual(file);
  });

  it('names each bad key', () => {
    const bad = {
      version: 2,
      upstreams: {
        GitHub: {},
        docs: { prompts: { review: { digest: 'md5:x', pinnedAt: 'yesterday' } } },
      },
    };
    let error: unknown;
    try {
      parsePinFile(bad, 'pins.json');
    } catch (caught) {
      error = caught;
    }
    expect(FedmcpError.isInstance(error)).toBe(true);
    expect((error as FedmcpError).code).toBe('INVALID_CONFIG');
    const message = (error as Error).message;
    expect(message).toMatch(/^pins\.json is invalid: /);
    expect(message).toContain('version: must be 1');
    expect(message).toContain('upstreams.GitHub: not an upstream id');
    expect(message).toContain('upstreams.docs.prompts.review.digest: must be "sha256:"');
    expect(message).toContain('upstreams.docs.prompts.review.pinnedAt: must be an ISO 8601');
  });

  it('says when the text is not JSON', () => {
    expect(() => parsePinFile('{', 'pins.json')).toThrow(/pins\.json is not valid JSON/);
  });
});
