/**
 * Case-insensitive, order-keeping, multi-valued header collection stored as a
 * flat array `[name, value, name, value, …]` (docs/architecture.md, lean objects): 40
 * bytes for the array instead of ~300 for a Map, and a linear scan beats
 * hashing for the 5–30 headers real messages carry.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import { isToken, isValidHeaderValue } from './syntax.js';

/** What can initialise a {@link Headers}: a record, `[name, value]` pairs, another Headers, or a WHATWG Headers. */
export type HeadersInit =
  | Headers
  | Record<string, string | number | readonly string[] | undefined | null>
  | Iterable<readonly [string, string]>
  | {
      /** A WHATWG `Headers` (or lookalike) that visits each field. */
      forEach(cb: (value: string, name: string) => void): void;
    };

function lowerEq(a: string, lowerB: string): boolean {
  // Fast path: most code passes lower-case names and most servers send the
  // canonical casing; compare lengths first, then case-fold only on mismatch.
  return a.length === lowerB.length && (a === lowerB || a.toLowerCase() === lowerB);
}

function checkName(name: string): void {
  if (!isToken(name)) throw new InvalidRequestError(`invalid header name ${JSON.stringify(name)}`);
}

function checkValue(name: string, value: string): void {
  if (!isValidHeaderValue(value)) {
    // Say which rule the value broke: a wire-splitting byte, or a character latin1 cannot carry.
    const why = /[\r\n\0]/.test(value) ? 'CR, LF and NUL are not allowed' : 'characters above U+00FF cannot be sent (encode the value first)';
    throw new InvalidRequestError(`invalid value for header ${name}: ${why}`);
  }
}

/** HTTP headers: case-insensitive lookup, original casing and order kept, several values per name. */
export class Headers implements Iterable<[string, string]> {
  /** Flat `[name, value, …]` list. @internal */
  _list: string[];

  /**
   * @param init initial headers; names and values are validated (CR, LF, NUL
   *   and non-token names throw {@link InvalidRequestError}).
   */
  constructor(init?: HeadersInit | null) {
    this._list = [];
    if (init != null) this.#fill(init);
  }

  /**
   * Wrap an already-validated flat list without copying (used by the parser).
   * @internal
   */
  static _fromList(list: string[]): Headers {
    const h = new Headers();
    h._list = list;
    return h;
  }

  #fill(init: HeadersInit): void {
    if (init instanceof Headers) {
      this._list = init._list.slice();
      return;
    }
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<readonly [string, string]>) {
        if (!pair || pair.length !== 2) throw new InvalidRequestError('header pairs must be [name, value]');
        this.append(pair[0], pair[1]);
      }
      return;
    }
    if (typeof (init as { forEach?: unknown }).forEach === 'function' && !(init.constructor === Object)) {
      (init as { forEach(cb: (v: string, n: string) => void): void }).forEach((v, n) => {
        this.append(n, v);
      });
      return;
    }
    const rec = init as Record<string, string | number | readonly string[] | undefined | null>;
    for (const name in rec) {
      const v = rec[name];
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) this.append(name, item);
      else this.append(name, String(v));
    }
  }

  /** Number of header lines (a name with two values counts twice). */
  get size(): number {
    return this._list.length >>> 1;
  }

  /** All values of `name` joined with `", "`, or `null` when absent. */
  get(name: string): string | null {
    const list = this._list;
    const lname = name.toLowerCase();
    let out: string | null = null;
    for (let i = 0; i < list.length; i += 2) {
      if (lowerEq(list[i]!, lname)) out = out === null ? list[i + 1]! : `${out}, ${list[i + 1]}`;
    }
    return out;
  }

  /** Every value of `name`, in order. */
  getAll(name: string): string[] {
    const list = this._list;
    const lname = name.toLowerCase();
    const out: string[] = [];
    for (let i = 0; i < list.length; i += 2) if (lowerEq(list[i]!, lname)) out.push(list[i + 1]!);
    return out;
  }

  /** Every `Set-Cookie` value, unjoined (cookies may contain commas). */
  getSetCookie(): string[] {
    return this.getAll('set-cookie');
  }

  /** Whether `name` is present. */
  has(name: string): boolean {
    const list = this._list;
    const lname = name.toLowerCase();
    for (let i = 0; i < list.length; i += 2) if (lowerEq(list[i]!, lname)) return true;
    return false;
  }

  /** Replace every value of `name` with `value` (keeps the position of the first occurrence). */
  set(name: string, value: string | number): this {
    const v = String(value);
    checkName(name);
    checkValue(name, v);
    this._set(name, v);
    return this;
  }

  /** @internal set without validation */
  _set(name: string, value: string): void {
    const list = this._list;
    const lname = name.toLowerCase();
    let found = -1;
    for (let i = 0; i < list.length; i += 2) {
      if (lowerEq(list[i]!, lname)) {
        if (found === -1) {
          found = i;
          list[i] = name;
          list[i + 1] = value;
        } else {
          list.splice(i, 2);
          i -= 2;
        }
      }
    }
    if (found === -1) list.push(name, value);
  }

  /** Add a value for `name`, keeping existing ones. */
  append(name: string, value: string | number): this {
    const v = String(value);
    checkName(name);
    checkValue(name, v);
    this._list.push(name, v);
    return this;
  }

  /** Remove every value of `name`. Returns whether anything was removed. */
  delete(name: string): boolean {
    const list = this._list;
    const lname = name.toLowerCase();
    let removed = false;
    for (let i = list.length - 2; i >= 0; i -= 2) {
      if (lowerEq(list[i]!, lname)) {
        list.splice(i, 2);
        removed = true;
      }
    }
    return removed;
  }

  /** Iterate `[name, value]` pairs in order, with original casing. */
  *[Symbol.iterator](): IterableIterator<[string, string]> {
    const list = this._list;
    for (let i = 0; i < list.length; i += 2) yield [list[i]!, list[i + 1]!];
  }

  /** Same as iterating the Headers. */
  entries(): IterableIterator<[string, string]> {
    return this[Symbol.iterator]();
  }

  /** Header names in order (repeated names repeat). */
  *keys(): IterableIterator<string> {
    for (let i = 0; i < this._list.length; i += 2) yield this._list[i]!;
  }

  /** Header values in order. */
  *values(): IterableIterator<string> {
    for (let i = 1; i < this._list.length; i += 2) yield this._list[i]!;
  }

  /** Call `cb(value, name)` for each header line. */
  forEach(cb: (value: string, name: string, headers: Headers) => void): void {
    for (let i = 0; i < this._list.length; i += 2) cb(this._list[i + 1]!, this._list[i]!, this);
  }

  /** A plain object keyed by lower-case name; repeated names are joined with `", "` except `set-cookie`, which becomes an array. */
  toJSON(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const list = this._list;
    for (let i = 0; i < list.length; i += 2) {
      const k = list[i]!.toLowerCase();
      const v = list[i + 1]!;
      const prev = out[k];
      if (k === 'set-cookie') {
        if (prev === undefined) out[k] = [v];
        else (prev as string[]).push(v);
      } else out[k] = prev === undefined ? v : `${prev}, ${v}`;
    }
    return out;
  }

  /** Node's util.inspect shows the headers as an object. */
  [Symbol.for('nodejs.util.inspect.custom')](): unknown {
    return this.toJSON();
  }
}
