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
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;

/** The bytes an entry is charged for. */
function entrySize(entry: CacheEntry): number {
  let n = 0;
  for (const v of entry.variants) {
    n += v.body.byteLength + 64;
    for (const h of v.headers) n += h.length;
  }
  return n;
}

/** A kept entry and whether it was read since eviction last looked at it. */
class Slot {
  readonly entry: CacheEntry;
  readonly size: number;
  used: boolean;
  constructor(entry: CacheEntry, size: number) {
    this.entry = entry;
    this.size = size;
    this.used = false;
  }
}

/**
 * An in-memory store bounded by {@link MemoryCacheOptions.maxBytes}, evicting
 * the least recently used entries first — by the CLOCK approximation of LRU
 * (second chance): a read only marks its entry, eviction moves a marked
 * entry to the back instead of dropping it, so a hit never reorders the Map.
 */
export class MemoryCache implements CacheStore {
  /** The byte bound. */
  readonly maxBytes: number;
  /** Insertion order, oldest first; `used` gives an entry read since a second chance. */
  readonly #map: Map<string, Slot>;
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
    slot.used = true;
    return slot.entry;
  }

  /** Keep `entry`; evicts least recently used entries past maxBytes (an entry larger than maxBytes is not kept). */
  set(key: string, entry: CacheEntry): void {
    this.delete(key);
    const size = entrySize(entry);
    if (size > this.maxBytes) return;
    this.#map.set(key, new Slot(entry, size));
    this.#bytes += size;
    // Each pass over an entry either evicts it or spends its mark: at most two rounds of the map.
    for (let budget = 2 * this.#map.size; this.#bytes > this.maxBytes && budget > 0; budget--) {
      const [k, slot] = this.#map.entries().next().value as [string, Slot];
      this.#map.delete(k);
      if (slot.used && k !== key) {
        slot.used = false;
        this.#map.set(k, slot);
      } else this.#bytes -= slot.size;
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
