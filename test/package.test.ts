/**
 * The package as npm publishes it (issue 12): `npm pack` into a temp dir,
 * its contents reviewed, then installed from the tarball (offline) into a
 * fresh project with sub-projects of every kind of consumer — CommonJS
 * `require`, ESM `import`, TypeScript `module: nodenext` as CJS and as ESM,
 * and `moduleResolution: bundler` — each type-checked against the shipped
 * `.d.ts` (skipLibCheck off) and run against a `reqivo/testing` server.
 * Needs `npm run build` first (npm test does it).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** The project's canonical URL: package.json's repository, homepage and bugs derive from it. */
const PROJECT_URL = 'https://github.com/reqivo/reqivo';

let work: string;
let app: string;
let packed: string[];

/** The program every consumer runs: a testing server, a typed GET, a typed error with its code. */
function program(imports: string, ts: boolean): string {
  const T = (t: string): string => (ts ? t : '');
  return `${imports}
async function main()${T(': Promise<void>')} {
  const server = await startTestServer({ 'GET /users/1': { json: { id: 1, name: 'Ada' } } });
  const session = new Session({ baseUrl: server.url });
  try {
    const res = await session.get('/users/1');
    const user = res.json${T('<{ id: number; name: string }>')}();
    if (user.name !== 'Ada') throw new Error('bad body');
    try {
      await session.get('/users/1', { timeout: 1 });
    } catch {
      // A 1 ms timeout may or may not fire on a loopback server.
    }
    let code${T(': string | null')} = null;
    try {
      await session.get('http://127.0.0.1:9/');
    } catch (err) {
      if (!(err instanceof NetworkError)) throw err;
      code = err.code;
    }
    console.log('ok', res.status, user.id, code);
  } finally {
    await session.close();
    await server.close();
  }
}
main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
`;
}

const ESM_IMPORTS = "import { NetworkError, Session } from 'reqivo';\nimport { startTestServer } from 'reqivo/testing';";
const CJS_IMPORTS = "const { NetworkError, Session } = require('reqivo');\nconst { startTestServer } = require('reqivo/testing');";

/** A TypeScript sub-project: package.json type, tsconfig module settings, one source file. */
function tsProject(name: string, type: 'module' | 'commonjs', compilerOptions: Record<string, unknown>, file: string, imports: string): string {
  const dir = join(app, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, type }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023'],
        strict: true,
        skipLibCheck: false,
        outDir: 'out',
        typeRoots: [join(root, 'node_modules', '@types')],
        types: ['node'],
        ...compilerOptions,
      },
      files: [file],
    }),
  );
  writeFileSync(join(dir, file), program(imports, true));
  return dir;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'reqivo-pack-'));
  const { stdout } = await run(npm, ['pack', '--json', '--pack-destination', work], { cwd: root, timeout: 60_000 });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info!.files.map((f) => f.path).sort();
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  await run(npm, ['install', join(work, info!.filename), '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, timeout: 120_000 });
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack contents', () => {
  test('ships both builds, the docs and CHANGELOG, and nothing from build/, test/, bench/, examples/ or the demo', () => {
    for (const f of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'docs/api.md', 'dist/index.js', 'dist/index.d.ts', 'dist/testing/index.js', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/package.json', 'dist/cjs/testing/index.d.ts']) {
      assert.ok(packed.includes(f), `${f} is not in the package`);
    }
    const stray = packed.filter((f) => /^(build|test|bench|examples|src|coverage|scripts|node_modules)\//.test(f) || /(^|\/)cli\/demo\./.test(f) || f.endsWith('.tsbuildinfo'));
    assert.deepEqual(stray, []);
  });

  test("every source map's sources are in the package (there are none: dist has no maps)", () => {
    const pkg = join(app, 'node_modules', 'reqivo');
    for (const map of packed.filter((f) => f.endsWith('.map'))) {
      const { sources } = JSON.parse(readFileSync(join(pkg, map), 'utf8')) as { sources: string[] };
      for (const s of sources) assert.ok(packed.includes(join(dirname(map), s).replaceAll('\\', '/')), `${map} points at ${s}, not shipped`);
    }
    assert.deepEqual(packed.filter((f) => f.endsWith('.map')), []);
  });

  test('every shipped text file that names the project on GitHub names the canonical URL', () => {
    const pkg = join(app, 'node_modules', 'reqivo');
    const texts = packed.filter((f) => /\.(md|json)$/.test(f) || f === 'LICENSE');
    assert.ok(texts.includes('README.md') && texts.includes('package.json'));
    let named = 0;
    for (const f of texts) {
      for (const m of readFileSync(join(pkg, f), 'utf8').matchAll(/github\.com\/([\w.-]+\/[\w.-]*reqivo[\w.-]*)/gi)) {
        named++;
        assert.match(m[1]!, /^reqivo\/reqivo(\.git)?$/, `${f} names github.com/${m[1]}`);
      }
    }
    assert.ok(named >= 3, 'package.json names the project URL in repository, homepage and bugs');
  });

  test('no published .d.ts has @internal members (stripInternal): no _pool, no attachRequest', () => {
    const pkg = join(app, 'node_modules', 'reqivo');
    const dts = packed.filter((f) => f.endsWith('.d.ts'));
    assert.ok(dts.length > 20);
    for (const f of dts) {
      const text = readFileSync(join(pkg, f), 'utf8');
      assert.doesNotMatch(text, /@internal|\b_pool\b|\battachRequest\b/, f);
    }
  });

  test('package.json names the repository, homepage and bugs, and exports import/require with types', () => {
    const pkg = JSON.parse(readFileSync(join(app, 'node_modules', 'reqivo', 'package.json'), 'utf8')) as Record<string, unknown>;
    // One canonical project URL, named alike by the three fields (npm links README's relative links through `repository`).
    assert.deepEqual(pkg.repository, { type: 'git', url: `git+${PROJECT_URL}.git` });
    assert.equal(pkg.homepage, `${PROJECT_URL}#readme`);
    assert.deepEqual(pkg.bugs, { url: `${PROJECT_URL}/issues` });
    const exp = pkg.exports as Record<string, Record<string, { types: string; default: string }>>;
    for (const sub of ['.', './testing']) {
      for (const cond of ['import', 'require'] as const) {
        for (const f of [exp[sub]![cond]!.types, exp[sub]![cond]!.default]) assert.ok(packed.includes(f.slice(2)), `${sub} ${cond} → ${f} not shipped`);
      }
    }
  });
});

describe('consumers of the installed tarball', () => {
  const expectOk = (stdout: string): void => assert.match(stdout, /^ok 200 1 ECONNREFUSED\n$/);

  test('CommonJS require()', async () => {
    const file = join(app, 'consumer.cjs');
    writeFileSync(file, program(CJS_IMPORTS, false));
    expectOk((await run(process.execPath, [file], { cwd: app, timeout: 20_000 })).stdout);
  });

  test('ESM import', async () => {
    const file = join(app, 'consumer.mjs');
    writeFileSync(file, program(ESM_IMPORTS, false));
    expectOk((await run(process.execPath, [file], { cwd: app, timeout: 20_000 })).stdout);
  });

  test('instanceof holds across the ESM and CommonJS copies, both ways', async () => {
    const file = join(app, 'hazard.mjs');
    writeFileSync(
      file,
      `import { createRequire } from 'node:module';
import * as esm from 'reqivo';
const cjs = createRequire(import.meta.url)('reqivo');
if (esm.Session === cjs.Session) throw new Error('expected two copies');
const fromCjs = await new cjs.Session().get('http://127.0.0.1:9/').catch((e) => e);
const fromEsm = await new esm.Session().get('http://127.0.0.1:9/').catch((e) => e);
const { MockNotMatchedError } = await import('reqivo/testing');
console.log([
  fromCjs instanceof esm.NetworkError, fromCjs instanceof esm.RequestError, fromCjs instanceof esm.ReqivoError,
  fromEsm instanceof cjs.NetworkError, fromEsm instanceof cjs.ReqivoError,
  fromCjs instanceof esm.TimeoutError, fromEsm instanceof cjs.TlsError,
  new cjs.ReadTimeout('x') instanceof esm.TimeoutError, new esm.ReadTimeout('x') instanceof cjs.ReadTimeout,
  new esm.ReadTimeout('x') instanceof MockNotMatchedError,
].join(' '));
`,
    );
    const { stdout } = await run(process.execPath, [file], { cwd: app, timeout: 20_000 });
    assert.equal(stdout, 'true true true true true false false true true false\n');
  });

  test('a Headers from the other copy is taken as headers init (copied field by field)', async () => {
    const file = join(app, 'headers.mjs');
    writeFileSync(
      file,
      `import { createRequire } from 'node:module';
import * as esm from 'reqivo';
import { startTestServer } from 'reqivo/testing';
const cjs = createRequire(import.meta.url)('reqivo');
const server = await startTestServer({ 'GET /h': (req) => ({ json: [req.headers['x-a'], req.headers['x-b']] }) });
const session = new esm.Session({ headers: new cjs.Headers({ 'x-a': '1' }) });
try {
  const res = await session.get(server.url + '/h', { headers: new cjs.Headers([['x-b', '2']]) });
  console.log(JSON.stringify(res.json()));
} finally {
  await session.close();
  await server.close();
}
`,
    );
    const { stdout } = await run(process.execPath, [file], { cwd: app, timeout: 20_000 });
    assert.equal(stdout, '["1","2"]\n');
  });

  const kinds: Array<[string, 'module' | 'commonjs', Record<string, unknown>, string, string, string]> = [
    ['ts-nodenext-cjs', 'commonjs', { module: 'nodenext', moduleResolution: 'nodenext' }, 'main.ts', "import { NetworkError, Session } from 'reqivo';\nimport { startTestServer } from 'reqivo/testing';", 'out/main.js'],
    ['ts-nodenext-esm', 'module', { module: 'nodenext', moduleResolution: 'nodenext' }, 'main.ts', ESM_IMPORTS, 'out/main.js'],
    ['ts-bundler', 'module', { module: 'esnext', moduleResolution: 'bundler' }, 'main.ts', ESM_IMPORTS, 'out/main.js'],
  ];
  for (const [name, type, options, file, imports, out] of kinds) {
    test(`TypeScript ${name}: type-checks against the shipped .d.ts and runs`, async () => {
      const dir = tsProject(name, type, options, file, imports);
      await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 60_000 }).catch((err: { stdout?: string }) => assert.fail(`tsc failed:\n${err.stdout ?? String(err)}`));
      const js = readFileSync(join(dir, out), 'utf8');
      // The CJS flavour really is CommonJS: TypeScript saw the require-condition types and emitted require().
      if (type === 'commonjs') assert.match(js, /require\("reqivo"\)/);
      else assert.match(js, /from 'reqivo'/);
      expectOk((await run(process.execPath, [join(dir, out)], { cwd: dir, timeout: 20_000 })).stdout);
    });
  }

  test('a type error in a consumer is caught (the check can fail)', async () => {
    const dir = join(app, 'ts-wrong');
    tsProject('ts-wrong', 'module', { module: 'nodenext', moduleResolution: 'nodenext', noEmit: true }, 'main.ts', ESM_IMPORTS);
    writeFileSync(join(dir, 'main.ts'), "import { Session } from 'reqivo';\nnew Session({ baseUrl: 42 });\n");
    const out = await run(process.execPath, [tsc, '-p', dir], { cwd: dir, timeout: 60_000 }).then(
      () => assert.fail('tsc accepted a wrong baseUrl'),
      (err: { stdout?: string }) => err.stdout ?? '',
    );
    assert.match(out, /main\.ts\(2,\d+\): error TS2322/);
  });
});

