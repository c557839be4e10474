/** The flag parser and URL shorthands, without a process. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandUrl, parseArgs, UsageError } from '../../src/cli/args.js';

test('METHOD URL ITEM: a known or upper-case word first is the method, anything else is the URL', () => {
  assert.deepEqual(pick(parseArgs(['post', 'example.org', 'a=1'])), { method: 'POST', url: 'example.org', items: ['a=1'] });
  assert.deepEqual(pick(parseArgs(['PURGE', 'example.org'])), { method: 'PURGE', url: 'example.org', items: [] });
  // httpie would read `localhost` as a method here.
  assert.deepEqual(pick(parseArgs(['localhost', 'x-a:1'])), { method: null, url: 'localhost', items: ['x-a:1'] });
  assert.deepEqual(pick(parseArgs(['example.org'])), { method: null, url: 'example.org', items: [] });
});

test('flags take values with = or as the next word; switches refuse a value', () => {
  const a = parseArgs(['--timeout=1.5', '--max-redirects', '3', '-a', 'u:p', '--pin', 'sha256/A', '--pin=sha256/B', '-v', 'x.org']);
  assert.equal(a.timeout, 1.5);
  assert.equal(a.maxRedirects, 3);
  assert.equal(a.auth, 'u:p');
  assert.deepEqual(a.pins, ['sha256/A', 'sha256/B']);
  assert.equal(a.print, 'HBhb');
  assert.throws(() => parseArgs(['--follow=yes', 'x.org']), UsageError);
  assert.throws(() => parseArgs(['--timeout', 'soon', 'x.org']), /--timeout must be a number/);
  assert.throws(() => parseArgs(['--nope', 'x.org']), /unknown option --nope/);
  assert.throws(() => parseArgs(['--pretty=loud', 'x.org']), /--pretty must be/);
  assert.throws(() => parseArgs(['--print=X', 'x.org']), /--print takes letters/);
  assert.throws(() => parseArgs(['-c', 'x.org']), /--continue only works with --download/);
  assert.throws(() => parseArgs(['-o', 'out.bin', 'x.org']), /--output only works with --download/);
  assert.equal(parseArgs(['-d', '-o', 'out.bin', 'x.org']).output, 'out.bin');
  assert.throws(() => parseArgs([]), /a URL is required/);
});

test('--help and --version win over everything else; ws is a command', () => {
  assert.equal(parseArgs(['x.org', '--help']).command, 'help');
  assert.equal(parseArgs(['--version']).command, 'version');
  const ws = parseArgs(['ws', ':9000/chat', 'Origin:x']);
  assert.equal(ws.command, 'ws');
  assert.equal(ws.url, ':9000/chat');
  assert.deepEqual(ws.items, ['Origin:x']);
});

test('URL shorthands: :PORT/path is localhost, a bare host gets http://, ws gets ws://', () => {
  assert.equal(expandUrl(':3000/x'), 'http://localhost:3000/x');
  assert.equal(expandUrl(':/x'), 'http://localhost/x');
  assert.equal(expandUrl(':3000'), 'http://localhost:3000');
  assert.equal(expandUrl('localhost:3000/x'), 'http://localhost:3000/x');
  assert.equal(expandUrl('https://a.b/c'), 'https://a.b/c');
  assert.equal(expandUrl(':9000/chat', true), 'ws://localhost:9000/chat');
});

function pick(a: ReturnType<typeof parseArgs>): { method: string | null; url: string; items: string[] } {
  return { method: a.method, url: a.url, items: a.items };
}
