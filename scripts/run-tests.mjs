// Runs the compiled test suite with Node's own test runner under c8 coverage.
// Usage: node scripts/run-tests.mjs [substring filters...]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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
const nodeArgs = ['--expose-gc', '--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=60000', '--test-reporter=spec', ...files];
const c8 = ['node_modules/c8/bin/c8.js', '--reporter=text-summary', '--reporter=text', '--include=src/**', '--exclude=src/cli/**', '--all=false', '--temp-directory=coverage/tmp', process.execPath, ...nodeArgs];
const withCoverage = filters.length === 0 && process.env.REQIVO_NO_COVERAGE !== '1';
const r = spawnSync(process.execPath, withCoverage ? c8 : nodeArgs, { stdio: 'inherit' });
process.exit(r.status ?? 1);
