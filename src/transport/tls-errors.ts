/**
 * Turn OpenSSL / Node TLS error codes into a {@link TlsError} whose message
 * says which check failed: the chain of trust, the certificate's validity
 * dates, the host name, the client certificate (mTLS), or the handshake.
 * @module
 */
import { TlsError } from '../errors.js';

const TRUST = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_CHAIN_TOO_LONG',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
]);
const VALIDITY = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']);
const CLIENT_CERT = /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_REVOKED|CERTIFICATE_EXPIRED|ACCESS_DENIED)/;
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH)/;

/**
 * The {@link TlsError} for a socket error raised by TLS, naming the failed
 * check, or `null` when `err` is not a TLS failure.
 * @param err the socket error
 * @param where what was going on, e.g. `'connecting to example.com:443'`
 */
export function tlsFailure(err: unknown, where: string): TlsError | null {
  if (err instanceof TlsError) return err;
  const e = err as NodeJS.ErrnoException | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const text = e instanceof Error ? e.message : String(err);
  if (!TLS_CODE.test(code) && !/certificate|SSL routines|TLS/i.test(text)) return null;
  let what: string;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    what = `certificate host name check failed: ${text}`;
  } else if (TRUST.has(code)) {
    what = `certificate verification failed: the chain is not trusted (${code}: ${text}); pass the issuing CA in tls.ca`;
  } else if (VALIDITY.has(code)) {
    what = `certificate verification failed: the certificate is outside its validity period (${code})`;
  } else if (CLIENT_CERT.test(code) || /alert (certificate required|bad certificate|unknown ca)/i.test(text)) {
    what = `the server rejected the client certificate (mTLS): ${code || text}; check tls.cert/tls.key/tls.pfx`;
  } else if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    what = `TLS handshake failed: the server does not speak TLS on this port (${code})`;
  } else {
    what = `TLS handshake failed: ${text}`;
  }
  return new TlsError(`${what} (while ${where})`, { cause: err });
}
