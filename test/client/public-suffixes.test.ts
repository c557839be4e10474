import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { domainToASCII } from 'node:url';
import { isPublicSuffix, publicSuffix } from '../../src/client/public-suffixes.js';

/**
 * The list's own test harness (publicsuffix.org tests/test_psl.txt):
 * `checkPublicSuffix(domain, registrableDomain)`, where the registrable
 * domain is the public suffix plus one label, `null` for a public suffix.
 */
function checkPublicSuffix(input: string, expected: string | null): void {
  const domain = domainToASCII(input.toLowerCase());
  let got: string | null = null;
  // An empty label (a leading dot) has no registrable domain.
  if (domain !== '' && !domain.startsWith('.')) {
    const suffix = publicSuffix(domain);
    if (suffix.length < domain.length) {
      const head = domain.slice(0, domain.length - suffix.length - 1);
      got = domain.slice(head.lastIndexOf('.') + 1);
    }
  }
  assert.equal(got, expected === null ? null : domainToASCII(expected), input);
}

describe('public suffixes: the official test vectors', () => {
  test('mixed case, leading dot, unlisted TLD', () => {
    checkPublicSuffix('COM', null);
    checkPublicSuffix('example.COM', 'example.com');
    checkPublicSuffix('WwW.example.COM', 'example.com');
    checkPublicSuffix('.com', null);
    checkPublicSuffix('.example', null);
    checkPublicSuffix('.example.com', null);
    checkPublicSuffix('.example.example', null);
    checkPublicSuffix('example', null);
    checkPublicSuffix('example.example', 'example.example');
    checkPublicSuffix('b.example.example', 'example.example');
    checkPublicSuffix('a.b.example.example', 'example.example');
  });

  test('TLDs with one rule and with 2-level rules', () => {
    checkPublicSuffix('biz', null);
    checkPublicSuffix('domain.biz', 'domain.biz');
    checkPublicSuffix('b.domain.biz', 'domain.biz');
    checkPublicSuffix('a.b.domain.biz', 'domain.biz');
    checkPublicSuffix('com', null);
    checkPublicSuffix('example.com', 'example.com');
    checkPublicSuffix('b.example.com', 'example.com');
    checkPublicSuffix('a.b.example.com', 'example.com');
    checkPublicSuffix('uk.com', null);
    checkPublicSuffix('example.uk.com', 'example.uk.com');
    checkPublicSuffix('b.example.uk.com', 'example.uk.com');
    checkPublicSuffix('a.b.example.uk.com', 'example.uk.com');
    checkPublicSuffix('test.ac', 'test.ac');
  });

  test('a TLD with only a wildcard rule', () => {
    checkPublicSuffix('mm', null);
    checkPublicSuffix('c.mm', null);
    checkPublicSuffix('b.c.mm', 'b.c.mm');
    checkPublicSuffix('a.b.c.mm', 'b.c.mm');
  });

  test('a complex TLD (jp): wildcards and exceptions below the second level', () => {
    checkPublicSuffix('jp', null);
    checkPublicSuffix('test.jp', 'test.jp');
    checkPublicSuffix('www.test.jp', 'test.jp');
    checkPublicSuffix('ac.jp', null);
    checkPublicSuffix('test.ac.jp', 'test.ac.jp');
    checkPublicSuffix('www.test.ac.jp', 'test.ac.jp');
    checkPublicSuffix('kyoto.jp', null);
    checkPublicSuffix('test.kyoto.jp', 'test.kyoto.jp');
    checkPublicSuffix('ide.kyoto.jp', null);
    checkPublicSuffix('b.ide.kyoto.jp', 'b.ide.kyoto.jp');
    checkPublicSuffix('a.b.ide.kyoto.jp', 'b.ide.kyoto.jp');
    checkPublicSuffix('c.kobe.jp', null);
    checkPublicSuffix('b.c.kobe.jp', 'b.c.kobe.jp');
    checkPublicSuffix('a.b.c.kobe.jp', 'b.c.kobe.jp');
    checkPublicSuffix('city.kobe.jp', 'city.kobe.jp');
    checkPublicSuffix('www.city.kobe.jp', 'city.kobe.jp');
  });

  test('a TLD with a wildcard rule and an exception (ck)', () => {
    checkPublicSuffix('ck', null);
    checkPublicSuffix('test.ck', null);
    checkPublicSuffix('b.test.ck', 'b.test.ck');
    checkPublicSuffix('a.b.test.ck', 'b.test.ck');
    checkPublicSuffix('www.ck', 'www.ck');
    checkPublicSuffix('www.www.ck', 'www.ck');
  });

  test('US K12', () => {
    checkPublicSuffix('us', null);
    checkPublicSuffix('test.us', 'test.us');
    checkPublicSuffix('www.test.us', 'test.us');
    checkPublicSuffix('ak.us', null);
    checkPublicSuffix('test.ak.us', 'test.ak.us');
    checkPublicSuffix('www.test.ak.us', 'test.ak.us');
    checkPublicSuffix('k12.ak.us', null);
    checkPublicSuffix('test.k12.ak.us', 'test.k12.ak.us');
    checkPublicSuffix('www.test.k12.ak.us', 'test.k12.ak.us');
  });

  test('IDN labels, in Unicode and punycoded', () => {
    checkPublicSuffix('食狮.com.cn', '食狮.com.cn');
    checkPublicSuffix('食狮.公司.cn', '食狮.公司.cn');
    checkPublicSuffix('www.食狮.公司.cn', '食狮.公司.cn');
    checkPublicSuffix('shishi.公司.cn', 'shishi.公司.cn');
    checkPublicSuffix('公司.cn', null);
    checkPublicSuffix('食狮.中国', '食狮.中国');
    checkPublicSuffix('www.食狮.中国', '食狮.中国');
    checkPublicSuffix('shishi.中国', 'shishi.中国');
    checkPublicSuffix('中国', null);
    checkPublicSuffix('xn--85x722f.com.cn', 'xn--85x722f.com.cn');
    checkPublicSuffix('xn--85x722f.xn--55qx5d.cn', 'xn--85x722f.xn--55qx5d.cn');
    checkPublicSuffix('www.xn--85x722f.xn--55qx5d.cn', 'xn--85x722f.xn--55qx5d.cn');
    checkPublicSuffix('shishi.xn--55qx5d.cn', 'shishi.xn--55qx5d.cn');
    checkPublicSuffix('xn--55qx5d.cn', null);
    checkPublicSuffix('xn--85x722f.xn--fiqs8s', 'xn--85x722f.xn--fiqs8s');
    checkPublicSuffix('www.xn--85x722f.xn--fiqs8s', 'xn--85x722f.xn--fiqs8s');
    checkPublicSuffix('shishi.xn--fiqs8s', 'shishi.xn--fiqs8s');
    checkPublicSuffix('xn--fiqs8s', null);
  });
});

describe('public suffixes: the list as cookies use it', () => {
  test('the PRIVATE section applies too (github.io, s3.amazonaws.com)', () => {
    for (const d of ['co.il', 'com.pl', 's3.amazonaws.com', 'github.io', 'herokuapp.com', 'com', 'localhost', 'ck', 'x.ck']) {
      assert.equal(isPublicSuffix(d), true, d);
    }
    for (const d of ['example.co.il', 'shop.com.pl', 'bucket.s3.amazonaws.com', 'user.github.io', 'example.com', 'www.ck', 'a.x.ck']) {
      assert.equal(isPublicSuffix(d), false, d);
    }
    assert.equal(publicSuffix('www.user.github.io'), 'github.io');
    assert.equal(publicSuffix('a.b.c.kobe.jp'), 'c.kobe.jp');
    assert.equal(publicSuffix('www.city.kobe.jp'), 'kobe.jp');
  });

  test('the generated module matches data/public_suffix_list.dat (the generator in --check mode)', () => {
    execFileSync(process.execPath, ['scripts/gen-public-suffixes.mjs', '--check'], { stdio: 'pipe', timeout: 30_000 });
  });
});
