/**
 * The HTTP/2 driver (src/http2/session.ts) over a scripted socket that
 * speaks exact frames (the frame writers of h2-raw.ts): the session runs over
 * any Duplex, so SETTINGS, HEADERS/DATA, RST_STREAM and GOAWAY are driven
 * without a TCP socket.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetworkError, ProtocolError, RequestError } from '../../src/errors.js';
import type { Session } from '../../src/client/session.js';
import { clientFrameReader, dataFrame, FrameType, goawayFrame, type RawFrame, responseHead, rstFrame, settingsAckFrame, settingsFrame } from '../helpers/h2-raw.js';
import { MockBackend, type MockSocket } from '../helpers/mock-socket.js';
import { useSessions } from '../helpers/sessions.js';

const { session: newSession } = useSessions();
const URL_BASE = 'http://127.0.0.1:9';
const INTERNAL_ERROR = 2;
const NO_ERROR = 0;

/** A connection's peer as a test script sees it. */
interface Peer {
  sock: MockSocket;
  /** Index of the connection (0 for the first). */
  index: number;
  /** Frames the client sent. */
  frames: RawFrame[];
}

/** Scripted h2 peers: each sends `settings`, ACKs the client's SETTINGS, and calls `onStream` for each request HEADERS. */
function h2Backend(onStream: (peer: Peer, stream: number) => void, settings: ReadonlyArray<readonly [number, number]> = []): MockBackend {
  return new MockBackend((sock, index) => {
    const peer: Peer = { sock, index, frames: [] };
    let greeted = false;
    const read = clientFrameReader(
      (f) => {
        peer.frames.push(f);
        if (f.type === FrameType.SETTINGS && (f.flags & 1) === 0) sock.feed(settingsAckFrame());
        // After the write returns, like a peer answering on a later read.
        else if (f.type === FrameType.HEADERS) setImmediate(() => !sock.destroyed && onStream(peer, f.stream));
      },
      () => sock.destroy(),
    );
    sock.onWrite = (chunk) => {
      // The server's SETTINGS once the client spoke: bytes of a real socket arrive only after its connect.
      if (!greeted) {
        greeted = true;
        sock.feed(settingsFrame(settings));
      }
      read(chunk);
    };
  });
}

function session(backend: MockBackend): Session {
  const s = newSession({ http2: 'prior-knowledge' });
  s._pool.connector = backend.connector;
  return s;
}

describe('HTTP/2 driver over a scripted socket', () => {
  test('requests share one connection on odd stream ids; the GET HEADERS carries END_STREAM', async () => {
    const b = h2Backend((p, id) => p.sock.feed(Buffer.concat([responseHead(id, 200, [['x-id', String(id)]]), dataFrame(id, `s${id}`, true)])));
    const s = session(b);
    for (let i = 0; i < 3; i++) {
      const r = await s.get(`${URL_BASE}/${i}`);
      assert.equal(r.text(), `s${r.headers.get('x-id')}`);
    }
    assert.equal(b.sockets.length, 1);
    assert.ok(b.sockets[0]!.text().startsWith('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 'the connection preface comes first');
  });

  test('a response whose frames arrive one byte per read is read whole', async () => {
    const b = h2Backend((p, id) => void p.sock.feedSplit(Buffer.concat([responseHead(id, 200, [['content-length', '11']]), dataFrame(id, 'hello '), dataFrame(id, 'world', true)]), 1));
    const s = session(b);
    assert.equal((await s.get(`${URL_BASE}/split`)).text(), 'hello world');
  });

  test('RST_STREAM mid-body fails that request, naming the code; the connection serves the next one', async () => {
    const b = h2Backend((p, id) => {
      if (id === 1) p.sock.feed(Buffer.concat([responseHead(id, 200, [['content-length', '10']]), dataFrame(id, 'half'), rstFrame(id, INTERNAL_ERROR)]));
      else p.sock.feed(Buffer.concat([responseHead(id, 200), dataFrame(id, 'ok', true)]));
    });
    const s = session(b);
    await assert.rejects(s.get(`${URL_BASE}/reset`), (e) => (e instanceof ProtocolError || e instanceof NetworkError) && /INTERNAL_ERROR/.test((e as Error).message));
    assert.equal((await s.get(`${URL_BASE}/next`)).text(), 'ok');
    assert.equal(b.sockets.length, 1);
  });

  test('the connection dropping mid-response fails the request with a RequestError, and the next one reconnects', async () => {
    const b = h2Backend((p, id) => {
      if (p.index === 0) {
        p.sock.feed(Buffer.concat([responseHead(id, 200, [['content-length', '10']]), dataFrame(id, 'half')]));
        setImmediate(() => p.sock.peerEnd());
      } else p.sock.feed(Buffer.concat([responseHead(id, 200), dataFrame(id, 'ok', true)]));
    });
    const s = session(b);
    await assert.rejects(s.get(`${URL_BASE}/drop`), RequestError);
    assert.equal((await s.get(`${URL_BASE}/next`)).text(), 'ok');
    assert.equal(b.sockets.length, 2);
  });
  test('GOAWAY(last 1) with stream 1\'s whole response in one read while stream 3 is in flight: 1 is answered, 3 is retried on a new connection', async () => {
    const b = h2Backend((p, id) => {
      if (p.index === 0 && id === 3) p.sock.feed(Buffer.concat([goawayFrame(1, NO_ERROR), responseHead(1, 200), dataFrame(1, 'one', true)]));
      else if (p.index > 0) p.sock.feed(Buffer.concat([responseHead(id, 200), dataFrame(id, `again${id}`, true)]));
    });
    const s = session(b);
    // The first request opens the session (one stream until SETTINGS); the second joins it as stream 3.
    const first = s.get(`${URL_BASE}/1`);
    const [r1, r3] = await Promise.all([first, s.get(`${URL_BASE}/3`)]);
    assert.equal(r1.text(), 'one');
    assert.equal(r3.text(), 'again1');
    assert.equal(b.sockets.length, 2);
  });

  for (const [how, when] of [
    ['peerClose', 'at once'],
    ['peerError', 'at once'],
    ['peerEnd', 'at once'],
    ['peerClose', 'a turn later'],
    ['peerError', 'a turn later'],
    ['peerEnd', 'a turn later'],
  ] as const) {
    test(`GOAWAY(last 1) + stream 1's response in one read, then the reconnect for stream 3 dies before any byte (${how}, ${when}): 1 is answered, 3 rejects`, async () => {
      const b = new MockBackend((sock, index) => {
        if (index > 0) {
          // 'at once': the socket is gone before the HTTP/2 session is set up on it.
          if (when === 'at once') sock[how]();
          else setImmediate(() => sock[how]());
          return;
        }
        sock.onWrite = clientFrameReader(
          (f) => {
            if (f.type === FrameType.SETTINGS && (f.flags & 1) === 0) sock.feed(Buffer.concat([settingsFrame(), settingsAckFrame()]));
            else if (f.type === FrameType.HEADERS && f.stream === 3) {
              setImmediate(() => !sock.destroyed && sock.feed(Buffer.concat([goawayFrame(1, NO_ERROR), responseHead(1, 200), dataFrame(1, 'one', true)])));
            }
          },
          () => sock.destroy(),
        );
      });
      const s = session(b);
      const settle = <T>(p: Promise<T>): Promise<{ ok: T } | { err: unknown }> =>
        p.then(
          (ok) => ({ ok }),
          (err: unknown) => ({ err }),
        );
      const p1 = settle(s.get(`${URL_BASE}/1`).then((r) => r.text()));
      const p3 = settle(s.get(`${URL_BASE}/3`).then((r) => r.text()));
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('a request never settled')), 3000);
      });
      try {
        const [a, c] = await Promise.race([Promise.all([p1, p3]), bound]);
        assert.deepEqual(a, { ok: 'one' });
        assert.ok('err' in c, 'stream 3 fails');
        assert.ok(c.err instanceof RequestError, `a typed error: ${String(c.err)}`);
      } finally {
        clearTimeout(timer);
      }
      assert.ok(b.sockets.length >= 2, 'stream 3 was retried on a new connection');
    });
  }
});
