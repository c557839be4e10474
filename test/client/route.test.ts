import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { routeFor } from '../../src/client/route.js';

const dial = { lookup: null, family: 0 as const, localAddress: null, autoSelectFamily: true };

describe('routeFor(): which connections read into the shared buffer', () => {
  test('only connections that can never become an HTTP/2 session (which takes the socket over) borrow reads', () => {
    const http = new URL('http://127.0.0.1:8080/a');
    const https = new URL('https://example.test/a');
    assert.equal(routeFor(http, null, 'auto', null, dial).connect.borrowedReads, true, 'plain HTTP/1.1');
    assert.equal(routeFor(http, null, 'prior-knowledge', null, dial).connect.borrowedReads, false, 'h2c with prior knowledge');
    assert.equal(routeFor(https, null, false, null, dial).connect.borrowedReads, true, 'TLS with HTTP/2 off');
    assert.equal(routeFor(https, null, 'auto', null, dial).connect.borrowedReads, false, 'TLS that may negotiate h2');
    assert.equal(routeFor(http, null, 'auto', null, dial, '/tmp/s.sock').connect.borrowedReads, true, 'a Unix socket');
    // Through an HTTP proxy the pooled connection is the proxy's (absolute-form): left as it was.
    assert.equal(routeFor(http, new URL('http://127.0.0.1:3128'), false, null, dial).connect.borrowedReads, undefined);
  });
});
