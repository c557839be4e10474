/**
 * Fuzz target: the Set-Cookie parser (src/client/set-cookie.ts). Values come
 * from a grammar (name=value, Expires in several date shapes, Max-Age,
 * Domain, Path, Secure, HttpOnly, SameSite, unknown attributes), half of them
 * mutated (control characters, quotes, non-ASCII). Invariants: it never
 * throws; it returns null or a cookie whose fields have their documented
 * types and ranges; the same input always gives the same cookie.
 * @module
 */
import assert from 'node:assert/strict';
import { MAX_COOKIE_BYTES, parseCookieDate, parseSetCookie } from '../../src/client/set-cookie.js';
import { type Target, withInput } from '../engine.js';
import { mutate } from '../mutate.js';
import type { Rng } from '../prng.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function date(rng: Rng): string {
  const d = rng.range(0, 40);
  const y = rng.pick([rng.range(1600, 2100), rng.range(0, 99), rng.range(0, 99999)]);
  const t = `${rng.range(0, 25)}:${rng.range(0, 61)}:${rng.range(0, 61)}`;
  const m = rng.chance(0.9) ? rng.pick(MONTHS) : rng.pick(['January', 'jan', 'Foo']);
  switch (rng.int(4)) {
    case 0:
      return `${rng.pick(DAYS)}, ${d} ${m} ${y} ${t} GMT`;
    case 1:
      return `${rng.pick(DAYS)}day, ${d}-${m}-${y} ${t} GMT`;
    case 2:
      return `${rng.pick(DAYS)} ${m} ${d} ${t} ${y}`;
    default:
      return `${y} ${t} ${d} ${m}`;
  }
}

function text(rng: Rng, max: number): string {
  let s = '';
  for (let n = rng.int(max + 1); n > 0; n--) s += String.fromCharCode(rng.chance(0.95) ? rng.range(0x21, 0x7e) : rng.pick([0x20, 0x09, 0xe9, 0x3b, 0x3d]));
  return s.replace(/;/g, '');
}

function generate(rng: Rng): string {
  let s = rng.chance(0.9) ? `${text(rng, 12).replace(/=/g, '')}=${text(rng, rng.chance(0.02) ? 5000 : 20)}` : text(rng, 20);
  for (let k = rng.int(6); k > 0; k--) {
    const sep = rng.pick(['; ', ';', ' ; ']);
    switch (rng.int(9)) {
      case 0:
        s += `${sep}Expires=${date(rng)}`;
        break;
      case 1:
        s += `${sep}Max-Age=${rng.pick([String(rng.range(-100, 100000)), '0', '-0', '1e3', '99999999999999999999', ''])}`;
        break;
      case 2:
        s += `${sep}Domain=${rng.pick(['.example.com', 'example.com', '127.0.0.1', '', '..', 'EXAMPLE.com.'])}`;
        break;
      case 3:
        s += `${sep}Path=${rng.pick(['/', '/a/b', '', 'rel', `/${text(rng, 8)}`])}`;
        break;
      case 4:
        s += `${sep}${rng.pick(['Secure', 'secure', 'Secure=1'])}`;
        break;
      case 5:
        s += `${sep}${rng.pick(['HttpOnly', 'httponly'])}`;
        break;
      case 6:
        s += `${sep}SameSite=${rng.pick(['Strict', 'Lax', 'None', 'lax', 'bogus', ''])}`;
        break;
      case 7:
        s += `${sep}${rng.pick(['Path', 'Domain', 'Expires', 'Max-Age'])}=${'x'.repeat(rng.chance(0.1) ? 1100 : 3)}`;
        break;
      default:
        s += `${sep}${text(rng, 10)}`;
    }
  }
  return s;
}

function checkCookie(input: string): void {
  const c = parseSetCookie(input);
  assert.deepEqual(parseSetCookie(input), c, 'the same input gives the same cookie');
  if (c === null) return;
  assert.equal(typeof c.name, 'string');
  assert.equal(typeof c.value, 'string');
  assert.ok(Buffer.byteLength(c.name) + Buffer.byteLength(c.value) <= MAX_COOKIE_BYTES, 'name + value within MAX_COOKIE_BYTES');
  for (const s of [c.name, c.value]) assert.ok(!/[\x00-\x08\x0a-\x1f\x7f;]/.test(s), 'no control character or ; in name or value');
  assert.ok(c.expires === null || Number.isFinite(c.expires), 'expires is null or a finite time');
  assert.ok(c.maxAge === null || Number.isInteger(c.maxAge), 'maxAge is null or an integer');
  assert.ok(c.domain === null || typeof c.domain === 'string');
  // A path not starting with / is kept as sent; the jar replaces it with the default path (cookies.ts).
  assert.ok(c.path === null || typeof c.path === 'string');
  assert.equal(typeof c.secure, 'boolean');
  assert.equal(typeof c.httpOnly, 'boolean');
  assert.ok(c.sameSite === null || c.sameSite === 'Strict' || c.sameSite === 'Lax' || c.sameSite === 'None', 'sameSite');
}

/** The Set-Cookie parser target. */
export const cookie: Target = {
  name: 'cookie',
  one(rng) {
    let input = generate(rng);
    if (rng.chance(0.5)) input = mutate(rng, Buffer.from(input, 'latin1'), null, 3).toString('latin1');
    withInput(input, () => checkCookie(input));
    const d = rng.chance(0.5) ? date(rng) : mutate(rng, Buffer.from(date(rng), 'latin1')).toString('latin1');
    withInput(d, () => {
      const t = parseCookieDate(d);
      assert.ok(t === null || Number.isFinite(t), 'a cookie date is null or a finite time');
    });
  },
};
