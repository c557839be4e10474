/**
 * Certificate pinning by SPKI SHA-256 (the `sha256/<base64>` form of HPKP,
 * RFC 7469 §2.4, as used by curl's --pinnedpubkey and OkHttp).
 *
 * A pin counts only for a certificate on the signature path from the leaf:
 * the leaf itself (the handshake proved the server holds its key), or an
 * issuer reached by links whose signatures are checked here, from the leaf
 * upward (`checkIssued` and `verify(issuer.publicKey)`, the issuer being a
 * CA, RFC 5280 §4.2.1.9). The chain's own links prove nothing: Node pairs
 * certificates by name, so an attacker's leaf sent along with the real
 * (public) CA certificate would otherwise match a pin of that CA. This holds
 * with `rejectUnauthorized: false` too, where nothing else checks the chain.
 * @module
 */
import { createHash, X509Certificate } from 'node:crypto';
import type tls from 'node:tls';
import { TlsError } from '../errors.js';

/** Longest path walked from the leaf (a peer's chain is a handful of certificates). */
const MAX_DEPTH = 10;

function pinOf(cert: X509Certificate): string {
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(spki).digest('base64')}`;
}

/** The `sha256/<base64>` pin of a certificate's SubjectPublicKeyInfo (DER or PEM certificate). */
export function spkiPin(certificate: Buffer | string): string {
  return pinOf(new X509Certificate(certificate));
}

/** A pin as written: `sha256/` and the base64 of 32 bytes. */
const PIN = /^sha256\/[A-Za-z0-9+/]{43}=$/;

/**
 * What is wrong with a `tls.pins` option, or null when it is absent or
 * right: an array of `sha256/<base64>` pins, at least one (an empty list
 * would read as "pinned" and check nothing).
 */
export function pinsProblem(pins: unknown): string | null {
  if (pins === undefined || pins === null) return null;
  if (!Array.isArray(pins)) return 'tls.pins must be an array of \'sha256/<base64>\' pins';
  if (pins.length === 0) return 'tls.pins is empty: give at least one \'sha256/<base64>\' pin, or leave it out to pin nothing';
  for (const p of pins) {
    if (typeof p !== 'string' || !PIN.test(p)) return `tls.pins holds ${JSON.stringify(p)}, not a 'sha256/<base64 of 32 bytes>' pin (see spkiPin())`;
  }
  return null;
}

/**
 * Check that a certificate on the verified signature path from the peer's
 * leaf matches one of `pins`; returns a TlsError naming the check, or null.
 */
export function checkPins(socket: tls.TLSSocket, pins: readonly string[], host: string): TlsError | null {
  const seen: string[] = [];
  let peer: tls.DetailedPeerCertificate | null = socket.getPeerCertificate(true);
  let child: X509Certificate | null = null;
  for (let depth = 0; depth < MAX_DEPTH && peer && peer.raw; depth++) {
    const cert = new X509Certificate(peer.raw);
    // Stop at the first link whose signature does not verify: nothing above it is on the leaf's path.
    if (child !== null && !(cert.ca && child.checkIssued(cert) && child.verify(cert.publicKey))) break;
    const pin = pinOf(cert);
    if (pins.includes(pin)) return null;
    seen.push(pin);
    // A self-signed root is its own issuerCertificate.
    const next: tls.DetailedPeerCertificate | undefined = peer.issuerCertificate;
    if (!next || next === peer) break;
    child = cert;
    peer = next;
  }
  return new TlsError(
    `certificate pinning failed for ${host}: no certificate on the verified path from the leaf matches tls.pins (path pins: ${seen.join(', ') || 'none'})`,
  );
}
