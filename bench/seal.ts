/**
 * The Object.seal decision (DESIGN.md rule 4): allocation time of a
 * Response as reqivo builds it, and of the same class sealed in its
 * constructor. Run: npx tsc -p tsconfig.test.json && node build/bench/seal.js
 * @module
 */
import { Response } from '../src/client/response.js';

class SealedResponse extends Response {
  constructor(...args: ConstructorParameters<typeof Response>) {
    super(...args);
    Object.seal(this);
  }
}

const body = Buffer.alloc(16);
const list = ['content-type', 'text/plain'];

function allocate(C: typeof Response, n: number): Response | null {
  let last: Response | null = null;
  for (let i = 0; i < n; i++) last = new C(200, 'OK', '1.1', list, 'http://127.0.0.1/', body, 'GET');
  return last;
}

for (const C of [Response, SealedResponse, Response, SealedResponse]) allocate(C, 200_000); // warm up
for (let round = 0; round < 3; round++) {
  for (const C of [Response, SealedResponse]) {
    const n = 3_000_000;
    const t = process.hrtime.bigint();
    allocate(C, n);
    const ns = Number(process.hrtime.bigint() - t) / n;
    console.log(`${C.name.padEnd(15)} ${ns.toFixed(1)} ns per allocation`);
  }
}
