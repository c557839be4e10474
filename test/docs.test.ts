/**
 * Runs every ```js block of the guides in docs/ that say so (a comment
 * "Every ```js block below is run by test/docs.test.ts"), each as its own
 * ES module through the published entry points (`import … from 'reqivo'`
 * resolves via package.json "exports" to dist/), so the guides never rot.
 * Each block starts what it needs on 127.0.0.1 and prints a line ending in
 * "ok".
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MARK = 'Every ```js block below is run by test/docs.test.ts.';

const guides = readdirSync(join(root, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .filter((f) => readFileSync(join(root, 'docs', f), 'utf8').includes(MARK))
  .sort();

test('the testing and observability guides are among the checked ones', () => {
  assert.ok(guides.includes('testing.md'));
  assert.ok(guides.includes('observability.md'));
});

for (const guide of guides) {
  const md = readFileSync(join(root, 'docs', guide), 'utf8');
  const blocks = [...md.slice(md.indexOf(MARK)).matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  blocks.forEach((code, i) => {
    test(`docs/${guide} example ${i + 1} runs`, async () => {
      const dir = join(root, 'build', 'docs');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${guide.replace('.md', '')}-${i + 1}.mjs`);
      writeFileSync(file, code);
      const { stdout, stderr } = await run(process.execPath, [file], { timeout: 20_000 });
      assert.equal(stderr, '');
      assert.match(stdout, /ok\n$/);
    });
  });
}
