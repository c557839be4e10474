/**
 * HPACK header compression for HTTP/2 (RFC 7541): a decoder with the full
 * dynamic table, and a stateless encoder (static table and literals only,
 * so a given field list always encodes to the same bytes).
 * @module
 */
import { huffmanDecode, huffmanEncode, huffmanEncodedLength, shortLatin1 } from './huffman.js';

/** A malformed header block: the connection must end with COMPRESSION_ERROR (RFC 9113 §4.3). */
export class HpackError extends Error {
  override get name(): string {
    return 'HpackError';
  }
}

/** The decoded header list is over the size limit given to decode() (name + value + 32 per field, RFC 9113 §6.5.2). */
export class HeaderListTooLarge extends Error {
  override get name(): string {
    return 'HeaderListTooLarge';
  }
}

/** The static table (RFC 7541 Appendix A), flat `[name, value, …]`; entry `i` (1-based) is at `2 * (i - 1)`. */
const STATIC: readonly string[] = [
  ':authority', '',
  ':method', 'GET',
  ':method', 'POST',
  ':path', '/',
  ':path', '/index.html',
  ':scheme', 'http',
  ':scheme', 'https',
  ':status', '200',
  ':status', '204',
  ':status', '206',
  ':status', '304',
  ':status', '400',
  ':status', '404',
  ':status', '500',
  'accept-charset', '',
  'accept-encoding', 'gzip, deflate',
  'accept-language', '',
  'accept-ranges', '',
  'accept', '',
  'access-control-allow-origin', '',
  'age', '',
  'allow', '',
  'authorization', '',
  'cache-control', '',
  'content-disposition', '',
  'content-encoding', '',
  'content-language', '',
  'content-length', '',
  'content-location', '',
  'content-range', '',
  'content-type', '',
  'cookie', '',
  'date', '',
  'etag', '',
  'expect', '',
  'expires', '',
  'from', '',
  'host', '',
  'if-match', '',
  'if-modified-since', '',
  'if-none-match', '',
  'if-range', '',
  'if-unmodified-since', '',
  'last-modified', '',
  'link', '',
  'location', '',
  'max-forwards', '',
  'proxy-authenticate', '',
  'proxy-authorization', '',
  'range', '',
  'referer', '',
  'refresh', '',
  'retry-after', '',
  'server', '',
  'set-cookie', '',
  'strict-transport-security', '',
  'transfer-encoding', '',
  'user-agent', '',
  'vary', '',
  'via', '',
  'www-authenticate', '',
];

/** The number of static table entries (61); dynamic table indexes start after it. */
const STATIC_COUNT = STATIC.length >>> 1;

/** Per-entry overhead in table and header list sizes (RFC 7541 §4.1, RFC 9113 §6.5.2). */
const ENTRY_OVERHEAD = 32;

/** Integers above this are rejected: no sane length, index or table size comes near it. */
const MAX_INT = 0x7fffffff;

/** The default SETTINGS_HEADER_TABLE_SIZE (RFC 9113 §6.5.2). */
const DEFAULT_TABLE_SIZE = 4096;

/** Where the module-level readers ({@link readInt}, {@link readString}) are in the block; decode() is synchronous, so one cursor serves all decoders. */
let at = 0;

/**
 * Read an integer with an `mask`-bit prefix (`mask` = 2^N - 1) starting at
 * {@link at} (RFC 7541 §5.1), leaving {@link at} after it. At most 5
 * continuation octets, and no value over 2^31 - 1.
 */
function readInt(buf: Buffer, end: number, mask: number): number {
  let value = buf[at++]! & mask;
  if (value < mask) return value;
  let shift = 0;
  let octet: number;
  do {
    if (at >= end) throw new HpackError('HPACK integer is truncated');
    if (shift > 28) throw new HpackError('HPACK integer is too long');
    octet = buf[at++]!;
    value += (octet & 0x7f) * 2 ** shift;
    shift += 7;
  } while (octet >= 0x80);
  if (value > MAX_INT) throw new HpackError('HPACK integer overflows');
  return value;
}

/** Read a string literal (RFC 7541 §5.2) at {@link at}, raw or Huffman-coded, as latin1; leaves {@link at} after it. */
function readString(buf: Buffer, end: number): string {
  if (at >= end) throw new HpackError('HPACK string is missing');
  const huffman = buf[at]! & 0x80;
  const len = readInt(buf, end, 0x7f);
  if (len > end - at) throw new HpackError('HPACK string runs past the end of the block');
  const start = at;
  at += len;
  if (huffman === 0) return shortLatin1(buf, start, at);
  try {
    return huffmanDecode(buf, start, at);
  } catch (err) {
    throw new HpackError((err as Error).message);
  }
}

/**
 * The receiving side of one HTTP/2 connection's header compression: the
 * static table and the dynamic table the peer's encoder fills (RFC 7541
 * §2.3). One instance per connection; blocks must be decoded in the order
 * they arrive.
 */
export class HpackDecoder {
  /** Dynamic table names, a ring buffer: the newest entry is at `(_next - 1) & _mask`. */
  private _names: string[];
  /** Dynamic table values, parallel to {@link _names}. */
  private _values: string[];
  /** Ring capacity - 1 (the capacity is a power of two). */
  private _mask: number;
  /** The ring slot the next inserted entry takes. */
  private _next: number;
  /** Entries in the dynamic table. */
  private _count: number;
  /** The dynamic table's size: the sum of name + value + 32 over its entries (RFC 7541 §4.1). */
  private _size: number;
  /** The dynamic table's current maximum size, as the peer last set it (RFC 7541 §4.2). */
  private _maxSize: number;
  /** The most the peer may set {@link _maxSize} to: our SETTINGS_HEADER_TABLE_SIZE. */
  private readonly _limit: number;

  /** @param maxTableSize our SETTINGS_HEADER_TABLE_SIZE (default 4096): the dynamic table's starting and largest allowed size. */
  constructor(maxTableSize: number = DEFAULT_TABLE_SIZE) {
    this._limit = maxTableSize;
    this._maxSize = maxTableSize;
    this._names = new Array<string>(32).fill('');
    this._values = new Array<string>(32).fill('');
    this._mask = 31;
    this._next = 0;
    this._count = 0;
    this._size = 0;
  }

  /**
   * Decode one complete header block (all HEADERS+CONTINUATION fragments already joined) from block[start, end); push
   * name, value, name, value… (latin1 strings) onto `out`. Throws HpackError when malformed. When the running total of
   * name.length + value.length + 32 exceeds maxListSize (pass Infinity for none) it must STILL decode the whole block
   * (the dynamic table must stay in sync with the peer's encoder) but stop pushing onto out, and throw
   * HeaderListTooLarge at the end.
   */
  decode(block: Uint8Array, start: number, end: number, out: string[], maxListSize: number): void {
    const buf = Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
    if (start < 0 || end > buf.length || start > end) throw new RangeError('header block range is out of bounds');
    at = start;
    let listSize = 0;
    let tooLarge = false;
    let fieldSeen = false;
    while (at < end) {
      const first = buf[at]!;
      let name: string;
      let value: string;
      if (first >= 0x80) {
        // Indexed header field (§6.1).
        const index = readInt(buf, end, 0x7f);
        if (index === 0) throw new HpackError('HPACK index 0');
        if (index <= STATIC_COUNT) {
          name = STATIC[2 * index - 2]!;
          value = STATIC[2 * index - 1]!;
        } else {
          const slot = this._slot(index);
          name = this._names[slot]!;
          value = this._values[slot]!;
        }
      } else if (first >= 0x40) {
        // Literal with incremental indexing (§6.2.1).
        const index = readInt(buf, end, 0x3f);
        name = index === 0 ? readString(buf, end) : this._name(index);
        value = readString(buf, end);
        this._insert(name, value);
      } else if (first >= 0x20) {
        // Dynamic table size update (§6.3): only before the first field (§4.2).
        if (fieldSeen) throw new HpackError('HPACK dynamic table size update after a header field');
        const size = readInt(buf, end, 0x1f);
        if (size > this._limit) throw new HpackError(`HPACK dynamic table size update to ${size}, above ${this._limit}`);
        this._maxSize = size;
        this._evictTo(size);
        continue;
      } else {
        // Literal without indexing (§6.2.2, 0000) or never indexed (§6.2.3, 0001).
        const index = readInt(buf, end, 0x0f);
        name = index === 0 ? readString(buf, end) : this._name(index);
        value = readString(buf, end);
      }
      fieldSeen = true;
      if (tooLarge) continue;
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > maxListSize) tooLarge = true;
      else out.push(name, value);
    }
    if (tooLarge) throw new HeaderListTooLarge(`header list is larger than ${maxListSize} octets`);
  }

  /**
   * The dynamic table, newest entry first, flat `[name, value, …]`.
   * @internal for tests
   */
  dynamicTable(): string[] {
    const list: string[] = [];
    for (let i = 0; i < this._count; i++) {
      const slot = (this._next - 1 - i) & this._mask;
      list.push(this._names[slot]!, this._values[slot]!);
    }
    return list;
  }

  /**
   * The dynamic table's size in octets (RFC 7541 §4.1).
   * @internal for tests
   */
  get dynamicTableSize(): number {
    return this._size;
  }

  /** The ring slot of dynamic table `index` (62 = newest); an HpackError past the table's end. */
  private _slot(index: number): number {
    const i = index - STATIC_COUNT - 1;
    if (i >= this._count) throw new HpackError(`HPACK index ${index} is past the end of the table`);
    return (this._next - 1 - i) & this._mask;
  }

  /** The name at `index` (> 0) in the static or dynamic table. */
  private _name(index: number): string {
    return index <= STATIC_COUNT ? STATIC[2 * index - 2]! : this._names[this._slot(index)]!;
  }

  /** Add an entry to the dynamic table, evicting the oldest as needed; one larger than the table empties it (§4.4). */
  private _insert(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this._maxSize) {
      this._clear();
      return;
    }
    this._evictTo(this._maxSize - size);
    if (this._count > this._mask) this._grow();
    const slot = this._next;
    this._names[slot] = name;
    this._values[slot] = value;
    this._next = (slot + 1) & this._mask;
    this._count++;
    this._size += size;
  }

  /** Evict the oldest entries until the table's size is at most `size` (§4.3). */
  private _evictTo(size: number): void {
    while (this._size > size) {
      const slot = (this._next - this._count) & this._mask;
      this._size -= this._names[slot]!.length + this._values[slot]!.length + ENTRY_OVERHEAD;
      this._names[slot] = '';
      this._values[slot] = '';
      this._count--;
    }
  }

  /** Empty the dynamic table. */
  private _clear(): void {
    this._names.fill('');
    this._values.fill('');
    this._count = 0;
    this._size = 0;
  }

  /** Double the ring's capacity, the entries kept in order (oldest at slot 0). */
  private _grow(): void {
    const capacity = (this._mask + 1) * 2;
    const names = new Array<string>(capacity).fill('');
    const values = new Array<string>(capacity).fill('');
    for (let i = 0; i < this._count; i++) {
      const slot = (this._next - this._count + i) & this._mask;
      names[i] = this._names[slot]!;
      values[i] = this._values[slot]!;
    }
    this._names = names;
    this._values = values;
    this._mask = capacity - 1;
    this._next = this._count & this._mask;
  }
}

/** Static table index of each name (its first entry). */
const STATIC_NAME_INDEX = new Map<string, number>();
/** Static table index of each `name\0value` pair. */
const STATIC_FIELD_INDEX = new Map<string, number>();
for (let i = STATIC_COUNT; i >= 1; i--) {
  STATIC_NAME_INDEX.set(STATIC[2 * i - 2]!, i);
  STATIC_FIELD_INDEX.set(`${STATIC[2 * i - 2]!}\0${STATIC[2 * i - 1]!}`, i);
}

/** Fields whose values must never enter a compression table, on any hop (RFC 7541 §7.1.3). */
const NEVER_INDEXED = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** Where {@link HpackEncoder.encode} writes before copying out; grown when a larger block comes. */
let encodeScratch = Buffer.allocUnsafeSlow(1024);

/** Write integer `value` with an N-bit prefix (`mask` = 2^N - 1) whose high bits are `flags` (RFC 7541 §5.1); returns the offset after it. */
function writeInt(out: Buffer, o: number, flags: number, mask: number, value: number): number {
  if (value < mask) {
    out[o++] = flags | value;
    return o;
  }
  out[o++] = flags | mask;
  let rest = value - mask;
  while (rest >= 0x80) {
    out[o++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[o++] = rest;
  return o;
}

/** Write string literal `s` (RFC 7541 §5.2), Huffman-coded when that is strictly shorter; returns the offset after it. */
function writeString(out: Buffer, o: number, s: string): number {
  const huffLen = huffmanEncodedLength(s);
  if (huffLen < s.length) return huffmanEncode(s, out, writeInt(out, o, 0x80, 0x7f, huffLen));
  o = writeInt(out, o, 0, 0x7f, s.length);
  for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  return o;
}

/**
 * The sending side of header compression, stateless on purpose: it never
 * adds to the dynamic table (and never sends a size update, which a peer
 * must accept as the table being unused), so the same fields always give the
 * same bytes and a caller may cache a request's encoded block.
 */
export class HpackEncoder {
  /** Encode a flat [name, value, …] list (names already lower-case; pseudo-headers first) into a new Buffer holding one header block. */
  encode(fields: readonly string[]): Buffer {
    // Worst case per string: a flag octet (names) and 6 octets of length, or 6 of name index, + its octets.
    let most = 0;
    for (let i = 0; i < fields.length; i++) most += fields[i]!.length + 7;
    if (most > encodeScratch.length) encodeScratch = Buffer.allocUnsafeSlow(Math.max(most, encodeScratch.length * 2));
    const out = encodeScratch;
    let o = 0;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const name = fields[i]!;
      const value = fields[i + 1]!;
      const never = NEVER_INDEXED.has(name);
      if (!never) {
        const index = STATIC_FIELD_INDEX.get(`${name}\0${value}`);
        if (index !== undefined) {
          out[o++] = 0x80 | index; // §6.1; every static index fits the 7-bit prefix
          continue;
        }
      }
      // §6.2.3 (0001) for sensitive fields, else §6.2.2 (0000).
      const flags = never ? 0x10 : 0x00;
      const nameIndex = STATIC_NAME_INDEX.get(name);
      if (nameIndex !== undefined) {
        o = writeInt(out, o, flags, 0x0f, nameIndex);
      } else {
        out[o++] = flags;
        o = writeString(out, o, name);
      }
      o = writeString(out, o, value);
    }
    const block = Buffer.allocUnsafe(o);
    out.copy(block, 0, 0, o);
    return block;
  }
}
