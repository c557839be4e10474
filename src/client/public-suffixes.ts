/**
 * Public suffix lookups (the publicsuffix.org/list algorithm) over the full
 * Public Suffix List, ICANN and PRIVATE sections both, as browsers use it for
 * cookies (RFC 6265 §5.3 step 5). The generated rules are parsed into three
 * Sets on the first lookup, so a process that never checks a Domain
 * attribute pays nothing.
 * @module
 */
import { PUBLIC_SUFFIX_RULES } from './public-suffix-data.js';

/** The parsed list: plain rules, parents of wildcard rules (`ck` for `*.ck`), exception rules without their `!`. */
interface Rules {
  plain: Set<string>;
  wildcard: Set<string>;
  exception: Set<string>;
}

let rules: Rules | null = null;

function parseRules(): Rules {
  const out: Rules = { plain: new Set(), wildcard: new Set(), exception: new Set() };
  for (const line of PUBLIC_SUFFIX_RULES.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const tld = line.slice(0, colon);
    for (const rest of line.slice(colon + 1).split(',')) {
      if (rest === '') out.plain.add(tld);
      else if (rest === '*') out.wildcard.add(tld);
      else if (rest.startsWith('*.')) out.wildcard.add(`${rest.slice(2)}.${tld}`);
      else if (rest.startsWith('!')) out.exception.add(`${rest.slice(1)}.${tld}`);
      else out.plain.add(`${rest}.${tld}`);
    }
  }
  return out;
}

/**
 * The public suffix of `domain`: the longest matching rule's labels, an
 * exception rule minus its leftmost label when one matches, or the last
 * label (the default rule `*`) when none does.
 * @param domain a lower-case ASCII (punycode) host name without leading or trailing dot.
 * @internal
 */
export function publicSuffix(domain: string): string {
  const r = (rules ??= parseRules());
  let found = -1;
  let start = 0;
  let suffix = domain;
  for (;;) {
    const dot = domain.indexOf('.', start);
    const parent = dot === -1 ? null : domain.slice(dot + 1);
    // An exception rule prevails over any other match (publicsuffix.org/list, "Algorithm" step 5).
    if (parent !== null && r.exception.has(suffix)) return parent;
    if (found === -1 && (r.plain.has(suffix) || (parent !== null && r.wildcard.has(parent)))) found = start;
    if (parent === null) break;
    start = dot + 1;
    suffix = parent;
  }
  return found === -1 ? suffix : domain.slice(found);
}

/**
 * Whether `domain` is itself a public suffix (`com`, `co.il`, `github.io`,
 * any single label): no cookie may be scoped to it (RFC 6265 §5.3 step 5).
 * @param domain a lower-case ASCII (punycode) host name without leading or trailing dot.
 * @internal
 */
export function isPublicSuffix(domain: string): boolean {
  return publicSuffix(domain).length === domain.length;
}

