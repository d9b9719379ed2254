/**
 * Test fixture: a throw-away certificate authority with a server certificate for 127.0.0.1 /
 * localhost and client certificates, made with the `openssl` command line at test time.
 * Not exported from the package.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files of a test PKI, in a temporary directory removed by `remove()`. */
export interface TestCertificates {
  directory: string;
  caCert: string;
  caCertFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** Makes a client certificate (signed by the CA) with this common name. */
  client(commonName: string): Promise<{ cert: string; key: string }>;
  /** Makes another server certificate signed by the CA (for rotation tests). */
  server(name: string): Promise<{ certFile: string; keyFile: string; cert: string }>;
  remove(): Promise<void>;
}

function openssl(directory: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: directory, stdio: 'pipe' });
}

const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Creates a CA and a server certificate valid for 127.0.0.1 and localhost. */
export async function createTestCertificates(): Promise<TestCertificates> {
  const directory = await mkdtemp(join(tmpdir(), 'fedmcp-tls-'));
  openssl(directory, [
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=fedmcp test CA',
  ]);
  let serial = 1;
  async function sign(name: string, subject: string, extensions: string) {
    await writeFile(join(directory, `${name}.ext`), extensions);
    openssl(directory, [
      'req',
      ...ecKey,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      subject,
    ]);
    openssl(directory, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(serial++),
      '-days',
      '2',
      '-out',
      `${name}.crt`,
      '-extfile',
      `${name}.ext`,
    ]);
    return {
      certFile: join(directory, `${name}.crt`),
      keyFile: join(directory, `${name}.key`),
      cert: await readFile(join(directory, `${name}.crt`), 'utf8'),
      key: await readFile(join(directory, `${name}.key`), 'utf8'),
    };
  }
  const server = (name: string) =>
    sign(
      name,
      `/CN=${name}`,
      'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
  const first = await server('server');
  return {
    directory,
    caCert: await readFile(join(directory, 'ca.crt'), 'utf8'),
    caCertFile: join(directory, 'ca.crt'),
    serverCertFile: first.certFile,
    serverKeyFile: first.keyFile,
    async client(commonName) {
      const made = await sign(
        `client-${serial}`,
        `/CN=${commonName}`,
        'extendedKeyUsage=clientAuth\n',
      );
      return { cert: made.cert, key: made.key };
    },
    server,
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
