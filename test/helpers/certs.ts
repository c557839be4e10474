/**
 * Test certificates made at test time with the openssl CLI: a CA, a server
 * certificate for 127.0.0.1/localhost signed by it, a client certificate for
 * mTLS, and a self-signed certificate. Cached per process in a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certs {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  selfSignedCert: string;
  selfSignedKey: string;
  /** A second, unrelated CA. */
  otherCaCert: string;
}

let cached: Certs | null = null;

function ssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** Create (once per process) and return the test certificates. */
export function certs(): Certs {
  if (cached !== null) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'reqivo-certs-'));
  try {
    const ext = 'subjectAltName=IP:127.0.0.1,DNS:localhost';
    writeFileSync(join(dir, 'san.ext'), `${ext}\n`);
    ssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=reqivo test CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    ssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-subj', '/CN=other CA', '-days', '2']);
    ssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
    ssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext']);
    ssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=reqivo client']);
    ssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2']);
    ssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'self.key', '-out', 'self.crt', '-subj', '/CN=localhost', '-days', '2', '-addext', ext]);
    const r = (f: string): string => readFileSync(join(dir, f), 'utf8');
    cached = {
      caCert: r('ca.crt'),
      caKey: r('ca.key'),
      serverCert: r('server.crt'),
      serverKey: r('server.key'),
      clientCert: r('client.crt'),
      clientKey: r('client.key'),
      selfSignedCert: r('self.crt'),
      selfSignedKey: r('self.key'),
      otherCaCert: r('other.crt'),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
