// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} references are what these tests are about.
import { describe, expect, it } from 'vitest';
import { resolveSecretReferences } from './resolve-secret-references.js';

describe('resolveSecretReferences', () => {
  it('replaces ${ENV} and ${secret:NAME} in nested values', async () => {
    const resolved: string[] = [];
    const value = await resolveSecretReferences(
      {
        headers: { Authorization: 'Bearer ${secret:GITHUB_TOKEN}', 'X-Region': '${REGION}' },
        args: ['--user=${USER_NAME}', 'cost: $${NOT_A_REF}'],
        port: 8080,
      },
      {
        env: { REGION: 'eu-west-1', USER_NAME: 'ci' },
        secrets: { get: async (name) => (name === 'GITHUB_TOKEN' ? 'ghp_123' : undefined) },
        onResolved: (secret) => resolved.push(secret),
      },
    );
    expect(value).toEqual({
      headers: { Authorization: 'Bearer ghp_123', 'X-Region': 'eu-west-1' },
      args: ['--user=ci', 'cost: ${NOT_A_REF}'],
      port: 8080,
    });
    expect(resolved.sort()).toEqual(['ci', 'eu-west-1', 'ghp_123']);
  });

  it('names the config path and the missing reference, never a value', async () => {
    await expect(
      resolveSecretReferences({ a: { b: '${MISSING}' } }, { env: {}, path: 'mcpServers.github' }),
    ).rejects.toThrow(
      'mcpServers.github.a.b refers to ${MISSING}, but the environment variable MISSING is not set.',
    );
    await expect(
      resolveSecretReferences('${secret:NOPE}', { secrets: { OTHER: 'x' } }),
    ).rejects.toThrow(
      'value refers to ${secret:NOPE}, which is not in the secrets file; add it with "fedmcp secrets set NOPE".',
    );
    await expect(resolveSecretReferences('${secret:X}')).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});
