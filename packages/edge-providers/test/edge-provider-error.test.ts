import { describe, expect, it } from 'vitest';
import { checkDeployName, EdgeProviderError, explainProviderError } from '../src/index.js';

// Each documented error answer, in each platform's envelope, becomes a code and a what-to-do.

const cloudflare = (code: number, message: string) => ({
  success: false,
  errors: [{ code, message }],
  messages: [],
  result: null,
});

describe('explainProviderError', () => {
  it('reads Cloudflare codes that mean the token or a limit whatever the status', () => {
    const token = explainProviderError(
      'cloudflare',
      'Upload',
      400,
      cloudflare(1000, 'Invalid API Token'),
    );
    expect(token.code).toBe('UNAUTHENTICATED');
    expect(token.message).toContain('Check CLOUDFLARE_API_TOKEN');
    const limit = explainProviderError(
      'cloudflare',
      'Upload',
      400,
      cloudflare(10037, 'You have exceeded the limit of 100 Workers on your account.'),
    );
    expect(limit.code).toBe('QUOTA');
    expect(limit.platformCode).toBe(10037);
    expect(limit.message).toContain('delete unused Workers');
  });

  it('tells a taken name from a concurrent change on a 409', () => {
    const taken = explainProviderError('fly', 'Creating the app', 422, {
      error: 'Validation failed: Name has already been taken',
    });
    expect(taken.code).toBe('CONFLICT');
    expect(taken.message).toContain('choose another with --name');
    const lease = explainProviderError('fly', 'Updating a machine', 409, {
      error: 'machine ID 1 lease currently held by someone',
    });
    expect(lease.code).toBe('CONFLICT');
    expect(lease.message).toContain('wait for it to finish');
    expect(lease.message).not.toContain('taken');
  });

  it('says retry and where the status page is on a 5xx, and not on another answer', () => {
    for (const [provider, page] of [
      ['cloudflare', 'cloudflarestatus.com'],
      ['supabase', 'status.supabase.com'],
      ['fly', 'status.flyio.net'],
    ] as const) {
      const outage = explainProviderError(provider, 'Deploy', 503, 'Service Unavailable');
      expect(outage.code).toBe('PROVIDER_ERROR');
      expect(outage.message).toContain('run the command again in a few minutes');
      expect(outage.message).toContain(page);
    }
    expect(explainProviderError('fly', 'Deploy', 302, '').message).not.toContain('status');
  });
});

describe('checkDeployName', () => {
  it('accepts names each platform accepts and refuses others with the rule', () => {
    expect(checkDeployName('cloudflare', 'hub-one_2')).toBe('hub-one_2');
    expect(checkDeployName('supabase', 'Hub_1')).toBe('Hub_1');
    expect(checkDeployName('fly', 'hub-1')).toBe('hub-1');
    for (const [provider, name] of [
      ['cloudflare', 'Hub'],
      ['cloudflare', 'a'.repeat(64)],
      ['supabase', '1hub'],
      ['fly', 'hub_1'],
      ['fly', 'hub-'],
    ] as const) {
      const error = (() => {
        try {
          checkDeployName(provider, name);
        } catch (caught) {
          return caught;
        }
      })();
      expect(EdgeProviderError.isInstance(error), `${provider} ${name}`).toBe(true);
      expect((error as EdgeProviderError).code).toBe('INVALID');
      expect((error as Error).message).toContain('Choose another with --name.');
    }
  });
});
