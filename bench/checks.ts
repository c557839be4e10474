/**
 * Body checks, so a broken client cannot win: every body is checked by
 * length, one in {@link SAMPLE_EVERY} by SHA-1, every streamed chunk by its
 * first and last byte, and one whole stream per client by SHA-1.
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import {
  BODIES,
  BODY_SHA1,
  POST_BODY,
  POST_BODY_SHA1,
  STREAM_SIZE,
  chunkLooksRight,
  expectedStreamSha1,
  sha1,
} from './bodies.js';
import type { Body } from './clients.js';

/** One body in this many is hashed. */
export const SAMPLE_EVERY = 64;

function bytesOf(body: Body): Uint8Array {
  return body instanceof ArrayBuffer ? new Uint8Array(body) : body;
}

function latin1(body: Body): string {
  const u = bytesOf(body);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('latin1');
}

/** Thrown when a client hands over a wrong body. */
export class BodyMismatch extends Error {
  override name = 'BodyMismatch';
}

/** Checks the bodies of GET responses for one path; counts them. */
export class GetCheck {
  readonly path: string;
  readonly length: number;
  readonly digest: string;
  count: number;

  constructor(path: string) {
    const body = BODIES[path];
    if (body === undefined) throw new Error(`no canned body for ${path}`);
    this.path = path;
    this.length = body.length;
    this.digest = BODY_SHA1[path]!;
    this.count = 0;
  }

  check(body: Body): void {
    const n = this.count++;
    if (body.byteLength !== this.length) {
      throw new BodyMismatch(`GET ${this.path}: body of ${body.byteLength} bytes, expected ${this.length}`);
    }
    if (n % SAMPLE_EVERY === 0 && sha1(bytesOf(body)) !== this.digest) {
      throw new BodyMismatch(`GET ${this.path}: body has the right length but the wrong bytes (SHA-1 mismatch)`);
    }
  }
}

/**
 * Drives the POST scenario: most requests go to `/echo-len` (answer: the
 * length), one in {@link SAMPLE_EVERY} to `/echo-sha1` (answer: the SHA-1 of
 * what the server received).
 */
export class PostCheck {
  readonly body: Buffer = POST_BODY;
  readonly #expectedLength = String(POST_BODY.length);
  count = 0;

  /** Path for the next request. */
  nextPath(): string {
    return this.count % SAMPLE_EVERY === 0 ? '/echo-sha1' : '/echo-len';
  }

  /** Check the answer to a request sent to `path`. */
  check(path: string, answer: Body): void {
    this.count++;
    const got = latin1(answer);
    const want = path === '/echo-sha1' ? POST_BODY_SHA1 : this.#expectedLength;
    if (got !== want) throw new BodyMismatch(`POST ${path}: server saw ${JSON.stringify(got)}, expected ${want}`);
  }
}

/** Checks one 64 MiB download chunk by chunk; optionally hashes all of it. */
export class StreamCheck {
  offset = 0;
  readonly #hash: Hash | null;

  constructor(hash: boolean) {
    this.#hash = hash ? createHash('sha1') : null;
  }

  readonly onChunk = (chunk: Uint8Array): void => {
    if (!chunkLooksRight(chunk, this.offset)) {
      throw new BodyMismatch(`stream: wrong bytes in the chunk at offset ${this.offset}`);
    }
    this.offset += chunk.byteLength;
    this.#hash?.update(chunk);
  };

  /** Call when the download resolved. */
  finish(): void {
    if (this.offset !== STREAM_SIZE) throw new BodyMismatch(`stream: ${this.offset} bytes, expected ${STREAM_SIZE}`);
    if (this.#hash !== null && this.#hash.digest('hex') !== expectedStreamSha1()) {
      throw new BodyMismatch('stream: SHA-1 of the whole body does not match');
    }
  }
}
