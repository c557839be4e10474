/**
 * Certificate pinning by SPKI SHA-256 (the `sha256/<base64>` form of HPKP,
 * RFC 7469 §2.4, as used by curl's --pinnedpubkey and OkHttp).
 * @module
 */
import { createHash, X509Certificate } from 'node:crypto';
import type tls from 'node:tls';
import { TlsError } from '../errors.js';

/** The `sha256/<base64>` pin of a certificate's SubjectPublicKeyInfo (DER or PEM certificate). */
export function spkiPin(certificate: Buffer | string): string {
  const spki = new X509Certificate(certificate).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(spki).digest('base64')}`;
}

/** Check that the peer's chain holds one of `pins`; returns a TlsError naming the check, or null. */
export function checkPins(socket: tls.TLSSocket, pins: readonly string[], host: string): TlsError | null {
  const seen: string[] = [];
  let cert: tls.DetailedPeerCertificate | null = socket.getPeerCertificate(true);
  const visited = new Set<unknown>();
  while (cert && cert.raw && !visited.has(cert)) {
    visited.add(cert);
    const pin = spkiPin(cert.raw);
    if (pins.includes(pin)) return null;
    seen.push(pin);
    cert = cert.issuerCertificate && cert.issuerCertificate !== cert ? cert.issuerCertificate : null;
  }
  return new TlsError(
    `certificate pinning failed for ${host}: no certificate in the chain matches tls.pins (chain pins: ${seen.join(', ') || 'none'})`,
  );
}
