/**
 * The generated API reference (TypeDoc, `npm run docs` → docs/reference/)
 * covers the whole public surface: every export of src/index.ts and
 * src/testing/index.ts appears in it with TSDoc, and TypeDoc's own
 * validation (typedoc.json: notDocumented, invalidLink, warnings as errors)
 * passes.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Application, type DeclarationReflection, ReferenceReflection, type Reflection, ReflectionKind } from 'typedoc';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRIES = { index: 'src/index.ts', testing: 'src/testing/index.ts' } as const;

/** Every name a module exports (values and types), as the compiler sees it. */
function exportsOf(files: readonly string[]): Map<string, string[]> {
  const program = ts.createProgram(files, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const file of files) {
    const symbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    out.set(file, checker.getExportsOfModule(symbol).map((s) => s.name).sort());
  }
  return out;
}

/** An alias (`export { del as delete }`) is a reference: its target carries the TSDoc. */
function documented(r: Reflection): boolean {
  const target = r instanceof ReferenceReflection ? r.getTargetReflectionDeep() : r;
  return target.hasComment() || ((target as DeclarationReflection).signatures ?? []).some((s) => s.hasComment());
}

test('every export of reqivo and reqivo/testing is in the reference, documented, and TypeDoc validation passes', async () => {
  const app = await Application.bootstrapWithPlugins({ options: join(root, 'typedoc.json'), entryPoints: Object.values(ENTRIES).map((f) => join(root, f)), logLevel: 'Error' });
  const project = await app.convert();
  assert.ok(project, 'TypeDoc could not convert the project');
  app.validate(project);
  assert.equal(app.logger.errorCount + app.logger.warningCount, 0, 'TypeDoc validation reported problems (run `npm run docs` to see them)');

  const expected = exportsOf(Object.values(ENTRIES).map((f) => join(root, f)));
  for (const [module, file] of Object.entries(ENTRIES)) {
    const names = expected.get(join(root, file))!;
    assert.ok(names.length > 10, `${file} exports ${names.length} names`);
    const mod = project.getChildByName(module) as DeclarationReflection | undefined;
    assert.ok(mod !== undefined && mod.kindOf(ReflectionKind.Module), `no module ${module} in the reference`);
    const listed = new Map((mod.children ?? []).map((c) => [c.name, c]));
    const missing = names.filter((n) => !listed.has(n));
    assert.deepEqual(missing, [], `exports of ${file} missing from the reference`);
    const undocumented = names.filter((n) => !documented(listed.get(n)!));
    assert.deepEqual(undocumented, [], `exports of ${file} without TSDoc`);
  }
});
