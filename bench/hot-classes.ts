/**
 * reqivo's hot classes, whose per-instance size the bench reports
 * (classes-child.ts). Add a class by adding an entry: the module to import
 * (relative to this file, as compiled in build/bench) and how to build one
 * instance from the shared fixtures, so that the bytes measured are the
 * instance's own (its fields and whatever its constructor allocates), not
 * its arguments'.
 * @module
 */

/** Objects shared by every instance built, so they are not counted. */
export interface Fixtures {
  url: string;
  body: Uint8Array;
  /** A flat header list `[name, value, …]`. */
  headerList: string[];
  /** A reqivo Headers built once (null if Headers did not load). */
  headers: unknown;
  /** A stand-in socket: `on()` does nothing. */
  socket: { on(): unknown };
  /** A parser handler whose methods do nothing. */
  handler: Record<string, () => void>;
}

/** How to build one instance of a hot class. */
export interface HotClass {
  name: string;
  /** Module path relative to build/bench. */
  module: string;
  create(mod: any, f: Fixtures): unknown;
}

export const HOT_CLASSES: readonly HotClass[] = [
  {
    name: 'Headers',
    module: '../src/http/headers.js',
    create: (m, f) => (typeof m.Headers._fromList === 'function' ? m.Headers._fromList(f.headerList) : new m.Headers()),
  },
  {
    name: 'Response',
    module: '../src/client/response.js',
    create: (m, f) => new m.Response(200, 'OK', '1.1', f.headers, f.url, f.body, 'GET'),
  },
  {
    name: 'StreamResponse',
    module: '../src/client/stream-response.js',
    create: (m, f) => new m.StreamResponse(200, 'OK', '1.1', f.headers, f.url, 'GET'),
  },
  {
    name: 'PreparedRequest',
    module: '../src/core/request.js',
    create: (m, f) => new m.PreparedRequest('GET', f.url, f.headers, null),
  },
  {
    name: 'RequestBody',
    module: '../src/core/body.js',
    create: (m, f) => new m.RequestBody(f.body, null, f.body.byteLength, null, true),
  },
  {
    name: 'Timeout',
    module: '../src/core/deadline.js',
    create: (m) => new m.Timeout(1000, 2000, 3000),
  },
  {
    name: 'Deadline',
    module: '../src/core/deadline.js',
    create: (m) => new m.Deadline(new m.Timeout(1, 1, Number.POSITIVE_INFINITY), null),
  },
  {
    name: 'Connection',
    module: '../src/transport/connection.js',
    create: (m, f) => new m.Connection(f.socket, null),
  },
  {
    name: 'ResponseParser',
    module: '../src/http1/parser.js',
    create: (m, f) => new m.ResponseParser(f.handler),
  },
];
