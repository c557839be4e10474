/**
 * Where the HTTP cache keeps responses: the {@link CacheStore} interface
 * (`get` / `set` / `delete`, each may return a promise, so a store on disk
 * or in Redis plugs in) and {@link MemoryCache}, the default, an LRU
 * bounded by bytes.
 * @module
 */
import { InvalidRequestError } from '../errors.js';

/** One stored response: what came off the wire (body still content-coded) and when. */
export interface StoredResponse {
  /** Request header values the response's Vary names, `[name, value|null, …]` (lower-case names); empty without Vary. */
  vary: (string | null)[];
  status: number;
  reason: string;
  httpVersion: string;
  /** Flat header list `[name, value, …]`. */
  headers: string[];
  /** Body bytes as received (content-coded if Content-Encoding says so). */
  body: Uint8Array;
  /** `Date.now()` when the request was sent (§4.2.3 request_time). */
  requestTime: number;
  /** `Date.now()` when the response arrived (§4.2.3 response_time). */
  responseTime: number;
}

/** What a store keeps under one key (method + URL): the variants Vary selects between, newest first. */
export interface CacheEntry {
  variants: StoredResponse[];
}

/** A pluggable store: any of the three may return a promise. */
export interface CacheStore {
  /** The entry under `key`, or undefined / null. */
  get(key: string): CacheEntry | undefined | null | Promise<CacheEntry | undefined | null>;
  /** Keep `entry` under `key` (replacing what was there). */
  set(key: string, entry: CacheEntry): unknown;
  /** Forget `key`. */
  delete(key: string): unknown;
}

/** Options of {@link MemoryCache}. */
export interface MemoryCacheOptions {
  /** Most bytes kept (bodies plus header text), default 32 MiB; the least recently used entries go first. */
  maxBytes?: number;
}

/** Default byte bound of a MemoryCache. */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/** The bytes an entry is charged for. */
export function entrySize(entry: CacheEntry): number {
  let n = 0;
  for (const v of entry.variants) {
    n += v.body.byteLength + 64;
    for (const h of v.headers) n += h.length;
  }
  return n;
}

/** An in-memory LRU store bounded by {@link MemoryCacheOptions.maxBytes}. */
export class MemoryCache implements CacheStore {
  /** The byte bound. */
  readonly maxBytes: number;
  /** Insertion order is recency order: a read moves the entry to the end. */
  readonly #map: Map<string, { entry: CacheEntry; size: number }>;
  #bytes: number;

  constructor(options: MemoryCacheOptions = {}) {
    const max = options.maxBytes ?? DEFAULT_CACHE_BYTES;
    if (typeof max !== 'number' || !(max >= 0)) throw new InvalidRequestError('MemoryCache maxBytes must be a non-negative number');
    this.maxBytes = max;
    this.#map = new Map();
    this.#bytes = 0;
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held now. */
  get size(): number {
    return this.#map.size;
  }

  /** The entry under `key` (now the most recently used), or undefined. */
  get(key: string): CacheEntry | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, slot);
    return slot.entry;
  }

  /** Keep `entry`; evicts least recently used entries past maxBytes (an entry larger than maxBytes is not kept). */
  set(key: string, entry: CacheEntry): void {
    this.delete(key);
    const size = entrySize(entry);
    if (size > this.maxBytes) return;
    this.#map.set(key, { entry, size });
    this.#bytes += size;
    for (const [k, slot] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= slot.size;
    }
  }

  /** Forget `key`. */
  delete(key: string): void {
    const slot = this.#map.get(key);
    if (slot === undefined) return;
    this.#map.delete(key);
    this.#bytes -= slot.size;
  }

  /** Forget everything. */
  clear(): void {
    this.#map.clear();
    this.#bytes = 0;
  }
}
