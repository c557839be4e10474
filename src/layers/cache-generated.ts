/**
 * Responses the HTTP cache made up itself (the 504 of `only-if-cached`),
 * kept apart so the retry layer can leave them alone without importing the
 * cache.
 * @module
 */

const GENERATED = new WeakSet<object>();

/** Whether the cache generated `res` rather than the origin (retrying it would only generate it again). */
export function cacheGenerated(res: object): boolean {
  return GENERATED.has(res);
}

/** Note that the cache generated `res`. */
export function markGenerated(res: object): void {
  GENERATED.add(res);
}
