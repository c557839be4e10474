/**
 * HTTP-date (RFC 9110 §5.6.7): the three forms a recipient accepts —
 * IMF-fixdate, the obsolete RFC 850 form and asctime — and nothing else.
 * `Date.parse` alone takes far more (a bare year, a date without a time), so
 * it is only run on a value that has one of these shapes.
 * @module
 */

const IMF_DATE = /^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** An HTTP-date in ms since the epoch, or null when `value` is not one (surrounding whitespace ignored). */
export function parseHttpDate(value: string): number | null {
  const v = value.trim();
  let at: number;
  if (IMF_DATE.test(v) || RFC850_DATE.test(v)) at = Date.parse(v);
  else if (ASCTIME_DATE.test(v)) at = Date.parse(`${v} GMT`);
  else return null;
  return Number.isNaN(at) ? null : at;
}
