// Runs the compiled test suite (build/test/**/*.test.js) with Node's own test
// runner, under c8 line coverage of src/ (mapped through source maps), and
// ends with the runner's totals as a plain "N passed, N failed" line.
// Usage: node scripts/run-tests.mjs [substring filters...]   (filters skip coverage)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) collect(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
let files = collect('build/test', []).sort();
if (filters.length) files = files.filter((f) => filters.some((s) => f.includes(s)));
// The TAP copy of the results (for the closing totals line) lives in a file of this run's own.
const tap = join(tmpdir(), `reqivo-tests-${process.pid}.tap`);
const nodeArgs = [
  '--expose-gc',
  '--enable-source-maps',
  '--test',
  '--test-concurrency=2',
  '--test-timeout=120000',
  '--test-reporter=spec',
  '--test-reporter-destination=stdout',
  '--test-reporter=tap',
  `--test-reporter-destination=${tap}`,
  ...files,
];
const withCoverage = filters.length === 0 && process.env.REQIVO_NO_COVERAGE !== '1';
const c8 = [
  'node_modules/c8/bin/c8.js',
  '--reporter=text',
  '--reporter=text-summary',
  '--include=build/src/**',
  '--include=src/**',
  '--exclude=**/cli/**',
  `--temp-directory=${join(tmpdir(), `reqivo-c8-${process.pid}`)}`,
  process.execPath,
  ...nodeArgs,
];
const r = spawnSync(process.execPath, withCoverage ? c8 : nodeArgs, { stdio: 'inherit' });
let passed = 0;
let failed = 0;
try {
  const text = readFileSync(tap, 'utf8');
  passed = Number(/^# pass (\d+)$/m.exec(text)?.[1] ?? 0);
  failed = Number(/^# fail (\d+)$/m.exec(text)?.[1] ?? 0) + Number(/^# cancelled (\d+)$/m.exec(text)?.[1] ?? 0);
} catch {
  failed = 1;
}
rmSync(tap, { force: true });
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(r.status !== 0 || failed > 0 ? 1 : 0);
