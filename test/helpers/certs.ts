/**
 * Test certificates made at test time with the openssl CLI: a CA, a server
 * certificate for 127.0.0.1/localhost signed by it, a client certificate for
 * mTLS, and a self-signed certificate. Cached per process in a temp dir.
 * {@link forgedCerts} adds an attacker's look-alike chain, for pinning tests.
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

/** An attacker's chain that only looks like the test CA's. */
export interface ForgedCerts {
  /** The attacker's CA: same subject name as the test CA, its own key. */
  evilCaCert: string;
  /** A certificate for 127.0.0.1/localhost signed by the attacker's CA, without key identifiers, so it "links" to the real CA by name. */
  leafCert: string;
  leafKey: string;
}

let forged: ForgedCerts | null = null;

/** Create (once per process) and return the attacker's chain. */
export function forgedCerts(): ForgedCerts {
  if (forged !== null) return forged;
  const dir = mkdtempSync(join(tmpdir(), 'reqivo-forged-'));
  try {
    writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nauthorityKeyIdentifier=none\nsubjectKeyIdentifier=none\n');
    ssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'evil.key', '-out', 'evil.crt', '-subj', '/CN=reqivo test CA', '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    ssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost']);
    ssl(dir, ['x509', '-req', '-in', 'leaf.csr', '-CA', 'evil.crt', '-CAkey', 'evil.key', '-CAcreateserial', '-out', 'leaf.crt', '-days', '2', '-extfile', 'leaf.ext']);
    const r = (f: string): string => readFileSync(join(dir, f), 'utf8');
    forged = { evilCaCert: r('evil.crt'), leafCert: r('leaf.crt'), leafKey: r('leaf.key') };
    return forged;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
