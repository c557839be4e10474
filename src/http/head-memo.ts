/**
 * The last request head a driver built, and what it was built from: a client
 * that sends the same request again and again (polling, a loop over one
 * endpoint) gets the same head back, neither rebuilt nor re-validated. Used
 * by the HTTP/1.1 serialiser (a string) and the HTTP/2 head (an object that
 * node:http2 copies before adding to it, so streams in flight can share it).
 * @module
 */

/** One key part of a head: a method, target, host, length… */
type Part = string | number | null;

/**
 * A one-entry memo keyed by up to five parts and a flat `[name, value, …]`
 * field list. The record is updated in place: a client alternating between
 * requests allocates nothing for it beyond the new head. @internal
 */
export class HeadMemo<T> {
  #k0: Part = '';
  #k1: Part = '';
  #k2: Part = '';
  #k3: Part = '';
  #k4: Part = '';
  readonly #list: string[] = [];
  #value: T | undefined = undefined;

  /** The head built last from exactly these parts and fields (a list changed in place since counts as changed), or undefined. */
  get(k0: Part, k1: Part, k2: Part, k3: Part, k4: Part, list: readonly string[]): T | undefined {
    if (k0 !== this.#k0 || k1 !== this.#k1 || k2 !== this.#k2 || k3 !== this.#k3 || k4 !== this.#k4) return undefined;
    const own = this.#list;
    if (list.length !== own.length) return undefined;
    for (let i = 0; i < list.length; i++) if (list[i] !== own[i]) return undefined;
    return this.#value;
  }

  /** Remember `value` as the head of these parts and fields (the list is copied); returns it. */
  set(k0: Part, k1: Part, k2: Part, k3: Part, k4: Part, list: readonly string[], value: T): T {
    this.#k0 = k0;
    this.#k1 = k1;
    this.#k2 = k2;
    this.#k3 = k3;
    this.#k4 = k4;
    const own = this.#list;
    own.length = list.length;
    for (let i = 0; i < list.length; i++) own[i] = list[i]!;
    this.#value = value;
    return value;
  }
}
