// scratch: cpu profile of N requests at C in flight against the bench server
import { BenchServer } from '../build/bench/server-process.js';
import { Session } from '../dist/index.js';
const N = Number(process.argv[2] ?? 200000), C = Number(process.argv[3] ?? 16), method = process.argv[4] ?? 'GET', conns = Number(process.argv[5] ?? C);
const server = await BenchServer.start();
const s = new Session({ proxy: false, pool: { maxConnectionsPerOrigin: conns } });
const url = method === 'GET' ? `${server.origin}/1k` : `${server.origin}/echo-len`;
const body = Buffer.alloc(1024, 98);
let left = N;
async function loop() { while (left-- > 0) { const r = method === 'GET' ? await s.get(url) : await s.post(url, { body }); if (method === 'GET' && r.body.length !== 1024) throw new Error('len ' + r.body.length); } }
const t = performance.now(); const u = process.cpuUsage();
await Promise.all(Array.from({ length: C }, loop));
const cpu = process.cpuUsage(u);
console.log('req/s', Math.round(N / ((performance.now() - t) / 1000)), 'cpu/req', ((cpu.user + cpu.system) / N).toFixed(2));
await s.close(); await server.stop();
