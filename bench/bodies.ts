/**
 * The canned bodies the bench server sends and the clients check: one
 * pseudo-random 64 KiB block, generated from a fixed seed on both sides, so a
 * client that drops, repeats or shifts bytes cannot pass the checks.
 * `/1k` is its first 1,024 bytes, `/64k` the whole block, `/1m` the block
 * repeated 16 times, `/64m` repeated 1,024 times.
 * @module
 */
import { createHash } from 'node:crypto';

/** Bytes in the repeated block. */
export const BLOCK_SIZE = 64 * 1024;
/** Size of the streamed body: 64 MiB. */
export const STREAM_SIZE = 64 * 1024 * 1024;

function makeBlock(): Buffer {
  const b = Buffer.allocUnsafe(BLOCK_SIZE);
  // xorshift32 from a fixed seed: the same bytes in every process.
  let x = 0x9e3779b9;
  for (let i = 0; i < BLOCK_SIZE; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** The 64 KiB block. */
export const BLOCK: Buffer = makeBlock();

/** Body of each fixed GET path. */
export const BODIES: Readonly<Record<string, Buffer>> = {
  '/1k': BLOCK.subarray(0, 1024),
  '/64k': BLOCK,
  '/1m': Buffer.concat(Array.from({ length: 16 }, () => BLOCK)),
};

/** Hex SHA-1 of some bytes. */
export function sha1(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** SHA-1 of each body in {@link BODIES}, computed once. */
export const BODY_SHA1: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(BODIES).map(([path, body]) => [path, sha1(body)]),
);

/** The 1 KiB request body of the POST scenario. */
export const POST_BODY: Buffer = BLOCK.subarray(BLOCK_SIZE - 1024);
/** Its SHA-1, which `/echo-sha1` must answer. */
export const POST_BODY_SHA1: string = sha1(POST_BODY);

/**
 * Cheap check of one chunk of the 64 MiB stream that starts at `offset`: its
 * first and last byte must be the block's bytes at those positions.
 */
export function chunkLooksRight(chunk: Uint8Array, offset: number): boolean {
  const n = chunk.byteLength;
  if (n === 0) return true;
  return chunk[0] === BLOCK[offset % BLOCK_SIZE] && chunk[n - 1] === BLOCK[(offset + n - 1) % BLOCK_SIZE];
}

/** Incremental SHA-1 of the whole expected 64 MiB stream, computed on demand and cached. */
let streamSha1: string | null = null;
export function expectedStreamSha1(): string {
  if (streamSha1 === null) {
    const h = createHash('sha1');
    for (let i = 0; i < STREAM_SIZE / BLOCK_SIZE; i++) h.update(BLOCK);
    streamSha1 = h.digest('hex');
  }
  return streamSha1;
}
