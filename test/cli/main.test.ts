/** The installed bin: found through package.json "bin", executable, fast paths, --help and the shell completions covering every flag. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { FLAG_NAMES } from '../../src/cli/args.js';
import { VERSION } from '../../src/index.js';
import { BIN, cleanEnv, reqivo, ROOT } from './bin.js';

test('package.json "bin" names an executable file with a node shebang, shipped with the completions', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
  assert.equal(pkg.bin.reqivo, './dist/cli/main.js');
  assert.ok(pkg.files.includes('completions'));
  accessSync(BIN, constants.X_OK);
  assert.match(readFileSync(BIN, 'utf8'), /^#!\/usr\/bin\/env node\n/);
});

test('run directly (through its shebang), --version prints the version and exits 0', async () => {
  const { stdout } = await promisify(execFile)(BIN, ['--version'], { env: cleanEnv(), timeout: 10_000 });
  assert.equal(stdout, `${VERSION}\n`);
});

test('--help lists every flag and the item syntax', async () => {
  const r = await reqivo(['--help']);
  assert.equal(r.code, 0);
  for (const flag of FLAG_NAMES) assert.ok(r.stdout.includes(flag), `--help mentions ${flag}`);
  for (const item of ['Header:value', 'param==value', 'field=value', 'field:=json', 'field@file', '@-']) assert.ok(r.stdout.includes(item), item);
});

test('the bash and zsh completions offer every flag', () => {
  const bash = readFileSync(join(ROOT, 'completions', 'reqivo.bash'), 'utf8');
  const zsh = readFileSync(join(ROOT, 'completions', '_reqivo'), 'utf8');
  for (const flag of [...FLAG_NAMES, '--help', '--version']) {
    assert.match(bash, new RegExp(`(\\s|")${flag}(\\s|")`), `bash: ${flag}`);
    const long = flag.startsWith('--') ? flag : null;
    if (long !== null) assert.ok(zsh.includes(long), `zsh: ${flag}`);
    else assert.ok(zsh.includes(`{${flag},`) || zsh.includes(`,${flag}}`), `zsh: ${flag}`);
  }
});

test('the bash completion completes flags and --pretty values in a real bash', async () => {
  const script = `source ${JSON.stringify(join(ROOT, 'completions', 'reqivo.bash'))}
COMP_WORDS=(reqivo --pre); COMP_CWORD=1; _reqivo; echo "\${COMPREPLY[*]}"
COMP_WORDS=(reqivo --pretty c); COMP_CWORD=2; _reqivo; echo "\${COMPREPLY[*]}"`;
  const { stdout } = await promisify(execFile)('bash', ['--norc', '-c', script], { timeout: 10_000 });
  assert.equal(stdout, '--pretty\ncolors\n');
});

test('a usage mistake is one line and exit 2', async () => {
  const r = await reqivo(['--frobnicate', 'x.org']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'reqivo: error: unknown option --frobnicate (see reqivo --help)\n');
});
