/**
 * `session.paginate()`: an async iterable of pages — or of the items
 * `items(res)` picks from each — that follows `Link: <…>; rel="next"`
 * (RFC 8288) unless `next(res)` says where to go. Lazy: each page is a
 * plain request of the session (its auth, cookies, hooks, cache) sent only
 * when the loop asks for more, so a `break` sends nothing further; `limit`
 * counts what the iterable yields.
 * @module
 */
import { InvalidRequestError } from '../errors.js';
import type { Headers } from '../http/headers.js';
import type { RequestOptions } from './options.js';
import type { Response } from './response.js';

/** Where the next page is: a URL (relative to the page's URL), request options with a `url`, or null/undefined to stop. */
export type NextPage = string | URL | (RequestOptions & { url: string | URL }) | null | undefined;

/** Options of `session.paginate()`: those of a request, plus how to page. */
export interface PaginateOptions<T = Response> extends RequestOptions {
  /** The items of a page; without it the iterable yields the pages (Responses). */
  items?: (res: Response) => Iterable<T> | AsyncIterable<T> | Promise<Iterable<T>>;
  /** The next page after `res` (default: its `Link` rel="next", resolved against its URL). */
  next?: (res: Response) => NextPage | Promise<NextPage>;
  /** Most pages (or items, with `items`) yielded (default: no limit). */
  limit?: number;
}

/** One link of a Link field (RFC 8288 §3): its target and parameters (lower-case names, first of each kept). */
export interface LinkValue {
  /** The target as written (a URI reference). */
  target: string;
  /** `rel` split into lower-case relation types (§3.3: a space-separated list). */
  rel: string[];
  /** Every parameter, `rel` included. */
  params: Record<string, string>;
}

/** Links of a Link field value (RFC 8288 §3): `<uri>; name=token; name="quoted, string"`, comma-separated. */
export function parseLinkHeader(value: string): LinkValue[] {
  const out: LinkValue[] = [];
  let i = 0;
  const n = value.length;
  const skip = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  while (i < n) {
    skip();
    if (value[i] !== '<') {
      // Not a link: skip to the next comma outside quotes.
      while (i < n && value[i] !== ',') i++;
      i++;
      continue;
    }
    const close = value.indexOf('>', i);
    if (close === -1) break;
    const target = value.slice(i + 1, close).trim();
    i = close + 1;
    const params: Record<string, string> = Object.create(null) as Record<string, string>;
    for (;;) {
      skip();
      if (value[i] !== ';') break;
      i++;
      skip();
      let name = '';
      while (i < n && !'=;, \t'.includes(value[i]!)) name += value[i++];
      skip();
      let v = '';
      if (value[i] === '=') {
        i++;
        skip();
        if (value[i] === '"') {
          i++;
          while (i < n && value[i] !== '"') {
            if (value[i] === '\\' && i + 1 < n) i++;
            v += value[i++];
          }
          i++;
        } else while (i < n && !';, \t'.includes(value[i]!)) v += value[i++];
      }
      name = name.toLowerCase();
      // §3: a parameter repeated (rel above all) counts once, the first.
      if (name !== '' && !(name in params)) params[name] = v;
    }
    skip();
    if (value[i] === ',') i++;
    out.push({ target, rel: (params.rel ?? '').toLowerCase().split(/[ \t]+/).filter(Boolean), params });
  }
  return out;
}

/** The absolute URL of the `rel="next"` link of `headers` (resolved against `base`), or null. */
export function nextLink(headers: Headers, base: string): string | null {
  for (const field of headers.getAll('link')) {
    for (const link of parseLinkHeader(field)) {
      if (!link.rel.includes('next')) continue;
      try {
        return new URL(link.target, base).href;
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** What paginate needs of a Session: one GET. */
export type GetPage = (url: string | URL, opts: RequestOptions) => Promise<Response>;

/** The pages (or items) from `url` on; see the module doc. */
export async function* paginate<T>(get: GetPage, url: string | URL, options: PaginateOptions<T>): AsyncGenerator<T> {
  const { items, next, limit, ...first } = options;
  const max = limit ?? Number.POSITIVE_INFINITY;
  if (typeof max !== 'number' || !(max >= 0)) throw new InvalidRequestError('paginate limit must be a non-negative number');
  // Later pages carry the options of the first, except its query: a next link has its own.
  const { query: _query, ...rest } = first;
  let target: string | URL | null = url;
  let opts: RequestOptions = first;
  let count = 0;
  while (target !== null && count < max) {
    const res = await get(target, opts);
    if (items === undefined) {
      yield res as unknown as T;
      count++;
    } else {
      for await (const item of await items(res)) {
        yield item;
        if (++count >= max) return;
      }
    }
    if (count >= max) return;
    const step = next !== undefined ? await next(res) : nextLink(res.headers, res.url);
    if (step === null || step === undefined) return;
    if (typeof step === 'string' || step instanceof URL) {
      target = new URL(step, res.url);
      opts = rest;
    } else {
      const { url: u, ...o } = step;
      target = new URL(u, res.url);
      opts = { ...rest, ...o };
    }
  }
}
