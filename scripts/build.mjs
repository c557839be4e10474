// Builds the published package: dist/ (ES modules, with .d.ts) and dist/cjs/
// (CommonJS, with CommonJS-flavoured .d.ts for `require` consumers), from a
// clean dist/ so no file of a removed module is ever packed.
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';

const tsc = 'node_modules/typescript/bin/tsc';
rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.json', 'tsconfig.cjs.json']) {
  const r = spawnSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
// The package is "type": "module"; this marks dist/cjs/*.js (and its .d.ts) as CommonJS.
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
// The command line's entry is run directly as the package's bin.
chmodSync('dist/cli/main.js', 0o755);
