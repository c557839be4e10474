/**
 * Uploads: a FormData with files goes out as multipart/form-data with an
 * exact Content-Length; `onUploadProgress` reports bytes handed to the
 * connection, `onDownloadProgress` bytes received.
 *
 * Run: npx tsc -p tsconfig.test.json && node build/examples/uploads.js
 * (in your project, import from 'reqivo' instead of '../src/index.js').
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from '../src/index.js';

// The server parses the multipart body with Node's own (fetch) parser and describes what it got.
const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const body = Buffer.concat(chunks);
    const form = await new Request('http://local/', { method: 'POST', headers: { 'content-type': req.headers['content-type']! }, body }).formData();
    const parts: string[] = [];
    for (const [name, value] of form) parts.push(typeof value === 'string' ? `${name}=${value}` : `${name}: ${value.name} (${value.size} bytes, ${value.type})`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ contentLength: Number(req.headers['content-length']), received: body.length, parts }));
  });
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const session = new Session({ baseUrl: base });
try {
  const form = new FormData();
  form.append('title', 'Holiday photos');
  form.append('photo', new File([new Uint8Array(512 * 1024)], 'beach.jpg', { type: 'image/jpeg' }));
  form.append('notes', new Blob(['sunny\n']), 'notes.txt');

  let updates = 0;
  let last = { loaded: 0, total: null as number | null };
  const res = await session.post('/upload', {
    body: form,
    onUploadProgress: (p) => {
      updates++;
      last = p;
    },
  });
  const info = res.json() as { contentLength: number; received: number; parts: string[] };
  console.log(`uploaded ${last.loaded}/${last.total} bytes in ${updates > 1 ? 'several' : 'one'} progress steps`);
  console.log(`server saw Content-Length ${info.contentLength === info.received ? 'matching' : 'NOT matching'} the body`);
  for (const p of info.parts) console.log(`  ${p}`);
} finally {
  await session.close();
  server.close();
}
