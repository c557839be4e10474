import assert from 'node:assert/strict';
import type http from 'node:http';
import { describe, test } from 'node:test';
import { nextLink, parseLinkHeader } from '../../src/client/paginate.js';
import type { Response } from '../../src/client/response.js';
import { Headers } from '../../src/http/headers.js';
import { httpServer } from '../helpers/servers.js';
import { useSessions } from '../helpers/sessions.js';

const { cleanups, session } = useSessions();

describe('RFC 8288 Link parsing', () => {
  test('several links, quoted parameters with commas and semicolons, rel lists', () => {
    const links = parseLinkHeader('<https://a.test/2>; rel="next last"; title="a, b; c", </1>; rel=prev, <x>;rel=NEXT;rel=other');
    assert.deepEqual(
      links.map((l) => [l.target, l.rel]),
      [
        ['https://a.test/2', ['next', 'last']],
        ['/1', ['prev']],
        ['x', ['next']],
      ],
    );
    assert.equal(links[0]!.params.title, 'a, b; c');
  });

  test('nextLink resolves a relative target against the response URL and reads every Link field', () => {
    const h = new Headers([
      ['link', '</p/1>; rel="prev"'],
      ['link', '<?page=3>; rel="next"'],
    ]);
    assert.equal(nextLink(h, 'http://h.test/items?page=2'), 'http://h.test/items?page=3');
    assert.equal(nextLink(new Headers([['link', '<a>; rel="nextish"']]), 'http://h.test/'), null);
    assert.equal(nextLink(new Headers(), 'http://h.test/'), null);
  });

  test('garbage does not throw', () => {
    assert.deepEqual(parseLinkHeader('nonsense, <unterminated'), []);
    const [bare] = parseLinkHeader('<a>; rel');
    assert.equal(bare!.target, 'a');
    assert.deepEqual(bare!.rel, []);
  });
});

/** 1,000 pages of 2 items each, linked by Link: rel="next" (relative), counting requests. */
async function pages(): Promise<{ url: string; seen: http.IncomingHttpHeaders[]; paths: string[] }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const paths: string[] = [];
  const srv = await httpServer((req, res) => {
    seen.push(req.headers);
    paths.push(req.url!);
    const u = new URL(req.url!, 'http://x');
    const page = Number(u.searchParams.get('page') ?? '1');
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
    if (page < 1000) headers.link = `<?page=${page + 1}>; rel="next", </items?page=1000>; rel="last"`;
    if (page === 1) headers['set-cookie'] = 'sid=abc; Path=/';
    res.writeHead(200, headers);
    res.end(JSON.stringify({ page, items: [page * 10, page * 10 + 1] }));
  });
  cleanups.push(() => srv.close());
  return { url: `${srv.url}/items`, seen, paths };
}

describe('session.paginate()', () => {
  test('1,000 pages, break at page 3: three requests, nothing more', async () => {
    const p = await pages();
    const got: number[] = [];
    for await (const res of session().paginate(p.url)) {
      got.push((res.json() as { page: number }).page);
      if (got.length === 3) break;
    }
    assert.deepEqual(got, [1, 2, 3]);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(p.paths, ['/items', '/items?page=2', '/items?page=3']);
  });

  test('all 1,000 pages, with auth and the session cookies on every page', async () => {
    const p = await pages();
    let n = 0;
    for await (const _ of session({ auth: { type: 'bearer', token: 't' } }).paginate(p.url)) n++;
    assert.equal(n, 1000);
    assert.equal(p.seen.length, 1000);
    assert.ok(p.seen.every((h) => h.authorization === 'Bearer t'));
    assert.ok(p.seen.slice(1).every((h) => h.cookie === 'sid=abc'));
  });

  test('items mode with limit counting items; the query applies to the first page only', async () => {
    const p = await pages();
    const items: number[] = [];
    for await (const it of session().paginate(p.url, { query: { page: 5 }, items: (res: Response) => (res.json() as { items: number[] }).items, limit: 5 })) items.push(it);
    assert.deepEqual(items, [50, 51, 60, 61, 70]);
    assert.deepEqual(p.paths, ['/items?page=5', '/items?page=6', '/items?page=7']);
  });

  test('limit on pages; custom next() returning a string, request options, then null', async () => {
    const p = await pages();
    let n = 0;
    for await (const _ of session().paginate(p.url, { limit: 2 })) n++;
    assert.equal(n, 2);
    const seenPages: number[] = [];
    for await (const res of session().paginate(p.url, {
      next: (res) => {
        const page = (res.json() as { page: number }).page;
        if (page === 1) return '?page=10';
        if (page === 10) return { url: '/items', query: { page: 20 }, headers: { 'x-step': 'two' } };
        return null;
      },
    })) {
      seenPages.push((res.json() as { page: number }).page);
    }
    assert.deepEqual(seenPages, [1, 10, 20]);
    assert.equal(p.seen.at(-1)!['x-step'], 'two');
  });
});
