/** --download: files written, names chosen, resume with Range, and the progress bar only on a terminal. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { downloadName, renderProgress } from '../../src/cli/download.js';
import { httpServer, type TestServer } from '../helpers/servers.js';
import { reqivo, reqivoInTty, tempDir } from './bin.js';

const DATA = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
let server: TestServer;
let ranges: string[] = [];
before(async () => {
  server = await httpServer((req, res) => {
    if (req.url === '/named') {
      res.writeHead(200, { 'content-disposition': 'attachment; filename="report.csv"', 'content-length': 5 });
      res.end('a,b\n1');
      return;
    }
    const evil: Record<string, string> = {
      '/evil/up': 'attachment; filename="../../escape.txt"',
      '/evil/back': 'attachment; filename="..\\..\\back.txt"',
      '/evil/hidden': 'attachment; filename=".bashrc"',
      '/evil/encoded': "attachment; filename*=UTF-8''%2E%2E%2Fenc.txt",
      '/evil/pct': 'attachment; filename="100%.txt"',
      '/evil/dots': 'attachment; filename=".."',
    };
    if (req.url !== undefined && evil[req.url] !== undefined) {
      res.writeHead(200, { 'content-disposition': evil[req.url]!, 'content-length': 4 });
      res.end('evil');
      return;
    }
    if (req.url === '/missing.bin') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('no such file');
    }
    const range = req.headers.range;
    ranges.push(range ?? '');
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      const from = Number(m[1]);
      if (from >= DATA.length) {
        res.writeHead(416, { 'content-range': `bytes */${DATA.length}` });
        res.end();
        return;
      }
      res.writeHead(206, {
        'content-range': `bytes ${from}-${DATA.length - 1}/${DATA.length}`,
        'content-length': DATA.length - from,
        // A name that differs from the URL's: a resumed download must still append to the file it resumed.
        'content-disposition': 'attachment; filename="renamed.bin"',
      });
      res.end(DATA.subarray(from));
      return;
    }
    res.writeHead(200, { 'content-length': DATA.length, 'content-type': 'application/octet-stream' });
    // Slowly, in pieces, so that a terminal sees the bar redrawn.
    let at = 0;
    const step = (): void => {
      if (at >= DATA.length) return void res.end();
      res.write(DATA.subarray(at, at + 50_000));
      at += 50_000;
      setTimeout(step, 120);
    };
    step();
  });
});
after(() => server.close());

test('-d saves under the URL name, -o under the given one, Content-Disposition names it otherwise; nothing on stdout or stderr when piped', async () => {
  const dir = tempDir();
  const r = await reqivo(['-d', `${server.url}/files/data.bin`], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(join(dir, 'data.bin')), DATA);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, '');
  await reqivo(['-d', '-o', 'out.bin', `${server.url}/files/data.bin`], { cwd: dir });
  assert.deepEqual(readFileSync(join(dir, 'out.bin')), DATA);
  await reqivo(['--download', `${server.url}/named`], { cwd: dir });
  assert.equal(readFileSync(join(dir, 'report.csv'), 'utf8'), 'a,b\n1');
});

test('names from the server or the URL stay in the working directory: no traversal, no hidden file, no overwrite', async () => {
  const base = tempDir();
  const dir = join(base, 'work');
  mkdirSync(dir);
  const run = async (path: string): Promise<void> => {
    const r = await reqivo(['-d', `${server.url}${path}`], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
  };
  for (const p of ['/evil/up', '/evil/back', '/evil/hidden', '/evil/encoded', '/evil/pct', '/evil/dots']) await run(p);
  // The URL's own last segment, percent-decoded into a path, is cut to its last segment too.
  await run('/files/..%2F..%2Fup.bin');
  assert.deepEqual(readdirSync(base), ['work']);
  assert.deepEqual(readdirSync(dir).sort(), ['100%.txt', 'back.txt', 'bashrc', 'dots', 'enc.txt', 'escape.txt', 'up.bin']);
  assert.equal(readFileSync(join(dir, 'escape.txt'), 'utf8'), 'evil');
  // An existing file is not replaced by a name the server chose.
  writeFileSync(join(dir, 'report.csv'), 'mine');
  await run('/named');
  await run('/named');
  assert.equal(readFileSync(join(dir, 'report.csv'), 'utf8'), 'mine');
  assert.equal(readFileSync(join(dir, 'report-1.csv'), 'utf8'), 'a,b\n1');
  assert.equal(readFileSync(join(dir, 'report-2.csv'), 'utf8'), 'a,b\n1');
  assert.equal(downloadName(null, 'attachment; filename="a\u0001b.txt"', 'http://h/x'), 'ab.txt');
  assert.equal(downloadName(null, null, 'http://h/%E0%A4%A'), '%E0%A4%A');
  assert.equal(downloadName(null, null, 'http://h/'), 'index.html');
  assert.equal(downloadName('../chosen', 'attachment; filename="x"', 'http://h/y'), '../chosen', '-o is the user\'s own choice');
});

test('-o without -d is a usage error: nothing is requested, no file is written, nothing lands on stdout', async () => {
  const dir = tempDir();
  const before = ranges.length;
  const r = await reqivo(['-o', 'out.bin', `${server.url}/files/data.bin`], { cwd: dir });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--output only works with --download/);
  assert.equal(r.stdout, '');
  assert.equal(existsSync(join(dir, 'out.bin')), false);
  assert.equal(ranges.length, before);
});

test('-c resumes a partial file with Range and appends the 206 body; a complete file gets 416 and stays', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'part.bin'), DATA.subarray(0, 123_456));
  ranges = [];
  const r = await reqivo(['-d', '-c', '-o', 'part.bin', `${server.url}/x`], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(ranges, ['bytes=123456-']);
  assert.deepEqual(readFileSync(join(dir, 'part.bin')), DATA);
  const again = await reqivo(['-d', '-c', '-o', 'part.bin', `${server.url}/x`], { cwd: dir });
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(ranges, ['bytes=123456-', 'bytes=300000-']);
  assert.deepEqual(readFileSync(join(dir, 'part.bin')), DATA);
  // Without -c the file starts over.
  await reqivo(['-d', '-o', 'part.bin', `${server.url}/x`], { cwd: dir });
  assert.equal(ranges.at(-1), '');
});

test('-c without -o resumes the file named by the URL even when the 206 names another; a 404 saves nothing and shows its head', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'dl.bin'), DATA.subarray(0, 1000));
  const r = await reqivo(['-d', '-c', `${server.url}/files/dl.bin`], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(join(dir, 'dl.bin')), DATA);
  assert.ok(!existsSync(join(dir, 'renamed.bin')));
  const missing = await reqivo(['-d', '--check-status', `${server.url}/missing.bin`], { cwd: dir });
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /^HTTP\/1\.1 404 Not Found\n/);
  assert.ok(!existsSync(join(dir, 'missing.bin')));
});

test('on a terminal the bar is redrawn in place with \\r: percent, bytes, total, rate, ETA', async () => {
  const dir = tempDir();
  const r = await reqivoInTty(['-d', `${server.url}/slow.bin`], { cwd: dir });
  assert.equal(r.code, 0, r.stdout);
  assert.deepEqual(readFileSync(join(dir, 'slow.bin')), DATA);
  const frames = r.stdout.split('\r').filter((f) => /%/.test(f));
  assert.ok(frames.length >= 3, `redrawn at least 3 times: ${JSON.stringify(r.stdout)}`);
  assert.match(r.stdout, /\[#+ *\] +\d+% [\d.]+ (KiB|B) \/ 293\.0 KiB {2}[\d.]+ \w+\/s {2}ETA \d+s/);
  assert.match(r.stdout, /100% 293\.0 KiB \/ 293\.0 KiB/);
  assert.match(r.stdout, /Done\. 293\.0 KiB in/);
  assert.ok(!existsSync(join(dir, 'index.html')));
});

test('a frame fits the terminal width and says -- for an unknown ETA', () => {
  const f = renderProgress(512, 2048, 0, 60);
  assert.equal(f.length, 59);
  assert.match(f, /25% 512 B \/ 2\.0 KiB {2}0 B\/s {2}ETA --/);
  assert.match(renderProgress(2048, null, 1024, 80), /^ 2\.0 KiB {2}1\.0 KiB\/s/);
});
