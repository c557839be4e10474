/**
 * Hooks: `onRequest` runs after default headers, cookies and auth are merged
 * and before the request is written; `onResponse` runs once per final
 * response. Hooks may be async; an error thrown in a hook rejects the request
 * with that error as `cause`.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/hooks.js
 * (in your project, import from 'reqivo' instead of '../src/index.js').
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpStatusError, Reqivo, RequestError } from '../src/index.js';

const server = http.createServer((req, res) => {
  res.statusCode = req.url === '/missing' ? 404 : 200;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ path: req.url, requestId: req.headers['x-request-id'] }));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

let nextId = 1;
const client = new Reqivo({ baseUrl: base })
  .bearerToken('secret')
  .onRequest((req) => {
    req.headers.set('x-request-id', String(nextId++));
    console.log(`→ ${req.method} ${new URL(req.url).pathname} (auth: ${req.headers.get('authorization')?.split(' ')[0]})`);
  })
  .onResponse(async (res) => {
    console.log(`← ${res.status} ${new URL(res.url).pathname}`);
    // Turn 4xx/5xx into exceptions for every request of this client.
    res.raiseForStatus();
  });

try {
  const res = await client.get('/users/1');
  console.log('body:', JSON.stringify(res.json()));

  try {
    await client.get('/missing');
  } catch (err) {
    if (err instanceof HttpStatusError) console.log(`HttpStatusError: ${err.status}, response url ${new URL(err.response.url).pathname}`);
    else throw err;
  }

  // A hook that throws: the request is rejected, the hook's error is the cause.
  client.onRequest(() => {
    throw new Error('not allowed on Sundays');
  });
  try {
    await client.get('/users/2');
  } catch (err) {
    if (err instanceof RequestError) console.log(`${err.name}, cause: ${(err.cause as Error).message}`);
    else throw err;
  }
} finally {
  await client.close();
  server.close();
}
