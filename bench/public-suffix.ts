/**
 * The Public Suffix List's costs: size of the generated module, load cost
 * (import + first lookup, which parses the rules into Sets) and lookups per
 * second over a mix of hosts. Run in a fresh process, since the first lookup
 * is measured:
 * npx tsc -p tsconfig.test.json && node --expose-gc build/bench/public-suffix.js
 * @module
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dataFile = fileURLToPath(new URL('../src/client/public-suffix-data.js', import.meta.url));
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const t0 = performance.now();
const { isPublicSuffix, publicSuffix } = await import('../src/client/public-suffixes.js');
const t1 = performance.now();
isPublicSuffix('example.com');
const t2 = performance.now();
gc?.();
const heap1 = process.memoryUsage().heapUsed;

const hosts = [
  'example.com', 'www.example.co.uk', 'a.b.c.example.com', 'co.il', 'user.github.io', 'bucket.s3.amazonaws.com',
  'www.city.kobe.jp', 'x.y.ck', 'xn--85x722f.xn--55qx5d.cn', 'localhost', 'api.eu-west-1.example.internal', 'com.pl',
];
let sink = 0;
for (let i = 0; i < 200_000; i++) sink += publicSuffix(hosts[i % hosts.length]!).length; // warm up
const n = 2_000_000;
const t = performance.now();
for (let i = 0; i < n; i++) sink += publicSuffix(hosts[i % hosts.length]!).length;
const ms = performance.now() - t;

console.log(`generated module: ${statSync(dataFile).size} bytes compiled (src/client/public-suffix-data.ts)`);
console.log(`import: ${(t1 - t0).toFixed(2)} ms, first lookup (parses the rules): ${(t2 - t1).toFixed(2)} ms`);
console.log(`lookups: ${((n / ms) * 1000 / 1e6).toFixed(2)} M/s (${((ms * 1e6) / n).toFixed(0)} ns each, ${hosts.length} hosts of 1-5 labels) [${sink % 10}]`);
if (gc !== undefined) console.log(`heap held by the loaded list: ${((heap1 - heap0) / 2 ** 20).toFixed(2)} MiB`);
else console.log('heap held by the loaded list: run with node --expose-gc to measure');
