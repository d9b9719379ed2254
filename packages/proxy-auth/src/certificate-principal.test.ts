import { describe, expect, it } from 'vitest';
import { authenticateRequest } from './authenticate-request.js';
import {
  certificateIdentities,
  createCertificateAuthenticator,
  principalFromCertificate,
} from './certificate-principal.js';

const certificate = {
  subject: { CN: 'billing-service', O: 'Example' },
  issuer: { CN: 'Example Internal CA' },
  subjectaltname:
    'DNS:billing.internal.example.com, URI:spiffe://example.com/ns/prod/sa/billing, email:ops@example.com, DNS:"weird, name"',
  fingerprint256: 'AA:BB:CC',
};

describe('principalFromCertificate', () => {
  it('parses the common name and the SAN list', () => {
    expect(certificateIdentities(certificate)).toEqual({
      commonName: 'billing-service',
      dns: ['billing.internal.example.com', 'weird, name'],
      uri: ['spiffe://example.com/ns/prod/sa/billing'],
      email: ['ops@example.com'],
      fingerprint256: 'AA:BB:CC',
    });
  });

  it('maps with the first matching rule, naming the matched identity', () => {
    const rules = [
      { match: { uri: 'spiffe://example.com/ns/staging/*' }, groups: ['staging'] },
      {
        match: { uri: 'spiffe://example.com/ns/prod/*' },
        groups: ['services'],
        scopes: ['tools.call'],
      },
      { match: { commonName: '*' }, groups: ['anyone'] },
    ];
    expect(principalFromCertificate(certificate, rules)).toMatchObject({
      subject: 'spiffe://example.com/ns/prod/sa/billing',
      issuer: 'Example Internal CA',
      groups: ['services'],
      scopes: ['tools.call'],
      authMethod: 'mtls',
    });
    expect(
      principalFromCertificate(certificate, [
        { match: { dns: '*.internal.example.com', commonName: 'billing-*' }, subject: 'svc:{cn}' },
      ]),
    ).toMatchObject({
      subject: 'svc:billing-service',
    });
    expect(
      principalFromCertificate(certificate, [{ match: { email: 'ops@example.com' } }])?.subject,
    ).toBe('ops@example.com');
    expect(
      principalFromCertificate(certificate, [{ match: { fingerprint256: 'aa:bb:cc' } }])?.subject,
    ).toBe('billing-service');
    expect(
      principalFromCertificate(certificate, [{ match: { dns: '*.example.org' } }]),
    ).toBeUndefined();
    expect(principalFromCertificate(certificate, [{ match: {} }])).toBeUndefined();
  });

  it('authenticates only certificates the TLS layer verified', async () => {
    const authenticator = createCertificateAuthenticator([
      { match: { commonName: 'billing-service' } },
    ]);
    await expect(
      authenticateRequest(
        { headers: {}, peerCertificate: certificate, peerCertificateAuthorized: true },
        [authenticator],
      ),
    ).resolves.toMatchObject({ subject: 'billing-service', authMethod: 'mtls' });
    await expect(
      authenticateRequest(
        { headers: {}, peerCertificate: certificate, peerCertificateAuthorized: false },
        [authenticator],
      ),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED', data: { httpStatus: 401 } });
    await expect(
      authenticateRequest(
        {
          headers: {},
          peerCertificate: { subject: { CN: 'stranger' } },
          peerCertificateAuthorized: true,
        },
        [authenticator],
      ),
    ).rejects.toMatchObject({
      data: { reason: 'the client certificate is not mapped to a principal' },
    });
  });
});
