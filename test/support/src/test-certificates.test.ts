import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createTestCertificates } from './test-certificates.js';

describe('createTestCertificates', () => {
  it('makes a CA, a server certificate for 127.0.0.1 and localhost, and client certificates it signed', async () => {
    const pki = await createTestCertificates();
    try {
      const ca = new X509Certificate(pki.caCert);
      const server = new X509Certificate(await readFile(pki.serverCertFile));
      expect(server.checkIssued(ca)).toBe(true);
      expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(server.checkHost('localhost')).toBe('localhost');
      const client = new X509Certificate((await pki.client('alice')).cert);
      expect(client.checkIssued(ca)).toBe(true);
      expect(client.subject).toContain('CN=alice');
    } finally {
      await pki.remove();
    }
  });
});
