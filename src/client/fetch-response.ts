/**
 * A {@link StreamResponse} as a standard Response: an instance of
 * `globalThis.Response` (a subclass of it) whose status, reason and
 * headers are the native ones. The body is where the speed is: Node's web
 * streams cost tens of µs per response, so `arrayBuffer()`, `text()`,
 * `json()`, `blob()` and `bytes()` read the StreamResponse directly, and
 * the ReadableStream `body` is only made when someone asks for it (then
 * every read goes through it, as in any Response). `url`, `redirected`
 * and `type`, which the Response constructor cannot set, are getters of the
 * subclass, which is defined on the first call (so that importing reqivo
 * does not load Node's fetch implementation).
 * @module
 */
import * as nodeStream from 'node:stream';
import type { StreamResponse } from './stream-response.js';
import type { BodyTap } from './body-tap.js';

const UTF8 = new TextDecoder();
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Whether a web stream was read from or cancelled (node:stream has it since 16.8; its types do not). */
const isDisturbed = (nodeStream as unknown as { isDisturbed(s: ReadableStream): boolean }).isDisturbed;

/** What {@link defineFetchResponse} makes. */
type FetchResponseClass = new (head: StreamResponse, body: StreamResponse | null, signal: AbortSignal | null) => globalThis.Response;

/**
 * The Response class, defined on the first `fetch()`: reading
 * `globalThis.Response` loads Node's own fetch implementation (tens of ms
 * and about 2 MB of heap), which a program that never calls fetch should not pay.
 */
let ResponseClass: FetchResponseClass | null = null;

/** Statuses whose response has a null body (Fetch §2.2.3), plus 101. */
function isNullBodyStatus(status: number): boolean {
  return status === 204 || status === 205 || status === 304 || status === 101;
}

/** The standard Response for `res`, a response to `method`; `signal` errors its body when it aborts. */
export function toWebResponse(res: StreamResponse, method: string, signal: AbortSignal | null): globalThis.Response {
  const nullBody = method === 'HEAD' || isNullBodyStatus(res.status);
  if (nullBody) void res.close();
  ResponseClass ??= defineFetchResponse(globalThis.Response);
  return new ResponseClass(res, nullBody ? null : res, signal);
}

/** Our flat `[name, value, …]` list as WHATWG Headers (which combine and order them by name). */
function webHeaders(list: readonly string[]): globalThis.Headers {
  const h = new globalThis.Headers();
  for (let i = 0; i < list.length; i += 2) h.append(list[i]!, list[i + 1]!);
  return h;
}

/** A failure while reading the body: the signal's reason once it aborted, else TypeError (undici's 'terminated'). */
function bodyError(err: unknown, signal: AbortSignal | null): unknown {
  return signal !== null && signal.aborted ? signal.reason : new TypeError('terminated', { cause: err });
}

/** The Response `fetch()` resolves to, a subclass of `NativeResponse`; see the module doc. */
function defineFetchResponse(NativeResponse: typeof globalThis.Response): FetchResponseClass {
  class FetchResponse extends NativeResponse {
    readonly #url: string;
    readonly #status: number;
    readonly #redirected: boolean;
    readonly #signal: AbortSignal | null;
    /** The body not yet claimed (null: none, or taken by a read or by `body`). */
    #res: StreamResponse | null;
    #stream: ReadableStream<Uint8Array> | null;
    #used: boolean;

    constructor(head: StreamResponse, body: StreamResponse | null, signal: AbortSignal | null) {
      const status = head.status;
      // The constructor accepts 200-599 only (Fetch §6.4); another status is kept here.
      // A reason phrase the constructor would refuse (RFC 9112 §4 reason-phrase) is dropped.
      const statusText = REASON.test(head.reason) ? head.reason : '';
      super(null, { status: status >= 200 && status <= 599 ? status : 200, statusText, headers: webHeaders(head.headers._list) });
      this.#url = head.url;
      this.#status = status;
      this.#redirected = head.redirects.length > 0;
      this.#signal = signal;
      this.#res = body;
      this.#stream = null;
      this.#used = false;
    }

    static {
      // Accessors over the native ones (TypeScript declares them as properties, so they are defined here).
      Object.defineProperties(this.prototype, {
        status: {
          get(this: FetchResponse) {
            return this.#status;
          },
        },
        ok: {
          get(this: FetchResponse) {
            return this.#status >= 200 && this.#status <= 299;
          },
        },
        url: {
          get(this: FetchResponse) {
            return this.#url;
          },
        },
        redirected: {
          get(this: FetchResponse) {
            return this.#redirected;
          },
        },
        // A network response is 'basic' (Fetch §4.1 main fetch, step 14).
        type: { get: () => 'basic' },
        body: {
          get(this: FetchResponse) {
            return this.#body();
          },
        },
        bodyUsed: {
          get(this: FetchResponse) {
            return this.#used || (this.#stream !== null && isDisturbed(this.#stream));
          },
        },
        arrayBuffer: { value: arrayBuffer, writable: true, configurable: true },
        bytes: {
          // The body as a Uint8Array of its own.
          async value(this: FetchResponse) {
            return new Uint8Array(await arrayBuffer.call(this));
          },
          writable: true,
          configurable: true,
        },
        text: {
          // UTF-8 (a BOM dropped) whatever the charset: Fetch §6.3 "text".
          async value(this: FetchResponse) {
            return UTF8.decode(await this.#bytes());
          },
          writable: true,
          configurable: true,
        },
        json: {
          async value(this: FetchResponse) {
            return JSON.parse(UTF8.decode(await this.#bytes())) as unknown;
          },
          writable: true,
          configurable: true,
        },
        blob: {
          async value(this: FetchResponse) {
            const b = await this.#bytes();
            return new Blob([b], { type: this.headers.get('content-type') ?? '' });
          },
          writable: true,
          configurable: true,
        },
        formData: {
          // Parsed by the native Response.
          async value(this: FetchResponse) {
            const b = await this.#bytes();
            return new NativeResponse(b, { headers: this.headers }).formData();
          },
          writable: true,
          configurable: true,
        },
        clone: {
          value(this: FetchResponse) {
            return this.#clone();
          },
          writable: true,
          configurable: true,
        },
      });
      /**
       * The body as an ArrayBuffer of its own, never memory shared with other
       * data (a socket read holding the head too, Buffer's pool): a buffer the
       * body fills exactly (joined chunks, a decoder's output) is handed over as it is.
       */
      async function arrayBuffer(this: FetchResponse): Promise<ArrayBuffer> {
        const b = await this.#bytes();
        const ab = b.buffer as ArrayBuffer;
        return b.byteOffset === 0 && b.byteLength === ab.byteLength ? ab : ab.slice(b.byteOffset, b.byteOffset + b.byteLength);
      }
    }

    #body(): ReadableStream<Uint8Array> | null {
      if (this.#stream === null) {
        const res = this.#res;
        if (res !== null) {
          this.#res = null;
          this.#stream = bodyStream(res, this.#signal);
        } else if (this.#used) {
          // Read already: a locked stream, as a consumed Response's body is.
          this.#stream = new ReadableStream<Uint8Array>();
          this.#stream.getReader();
        }
      }
      return this.#stream;
    }

    /** The whole body: from the StreamResponse, or through `body` once it was made. */
    async #bytes(): Promise<Uint8Array> {
      if (this.#stream !== null) return new Uint8Array(await new NativeResponse(this.#stream).arrayBuffer());
      if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
      const res = this.#res;
      // A null body (HEAD, 204, 205, 304) is never used up (Fetch §6.2 "body used" needs a body): it reads as empty,
      // again and again, and `body` stays null.
      if (res === null) return new Uint8Array(0);
      this.#used = true;
      this.#res = null;
      const signal = this.#signal;
      if (signal !== null && signal.aborted) {
        void res.close();
        throw signal.reason;
      }
      try {
        return await res.bytes();
      } catch (err) {
        throw bodyError(err, signal);
      }
    }

    /** A copy sharing the body through `tee()`: a native Response with the same status, url, redirected and type. */
    #clone(): globalThis.Response {
      if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
      const s = this.#body();
      let other: ReadableStream<Uint8Array> | null = null;
      if (s !== null) [this.#stream, other] = s.tee();
      const status = this.#status;
      const copy = new NativeResponse(other, { status: status >= 200 && status <= 599 ? status : 200, statusText: this.statusText, headers: this.headers });
      const own = { status, ok: this.ok, url: this.#url, redirected: this.#redirected, type: 'basic' };
      for (const [k, v] of Object.entries(own)) Object.defineProperty(copy, k, { value: v });
      return copy;
    }
  }
  return FetchResponse;
}

/** Bytes the body stream queues before it pauses the socket (StreamResponse's own high-water mark). */
const STREAM_HIGH_WATER_MARK = 256 * 1024;
const STRATEGY: QueuingStrategy<Uint8Array> = { highWaterMark: STREAM_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength };

/**
 * The body as a ReadableStream fed straight from the StreamResponse: each
 * chunk is enqueued as it arrives (a waiting read gets it at once, the
 * chunk itself: no copy, no re-wrapping), the socket is paused while the
 * stream's queue holds its high-water mark and resumed when the stream
 * pulls; errors as {@link bodyError}.
 *
 * The `pull` that resumes the socket returns a promise that settles only
 * when the queue is full again: while it is pending the stream does not
 * call `pull` again, so a chunk costs an `enqueue` and nothing else (a
 * `pull` settled at once would be called, with its promise and reaction,
 * after every chunk a waiting read took). Errors, cancel and the end need no
 * pull to settle; a pending one is dropped with the stream.
 */
function bodyStream(res: StreamResponse, signal: AbortSignal | null): ReadableStream<Uint8Array> {
  let onAbort: (() => void) | null = null;
  /** Settles the pending `pull`: the stream may pull again once a read drains the queue. */
  let pulled: (() => void) | null = null;
  const stop = (): void => {
    if (onAbort !== null) signal!.removeEventListener('abort', onAbort);
    onAbort = null;
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (signal !== null) {
          if (signal.aborted) {
            controller.error(signal.reason);
            void res.close();
            return;
          }
          onAbort = () => {
            onAbort = null;
            controller.error(signal.reason);
            void res.close();
          };
          signal.addEventListener('abort', onAbort, { once: true });
        }
        const tap: BodyTap = {
          chunk(chunk) {
            controller.enqueue(chunk);
            if (controller.desiredSize! <= 0) {
              res._setPaused(true);
              const settle = pulled;
              pulled = null;
              settle?.();
            }
            return true;
          },
          end() {
            stop();
            controller.close();
          },
          error(err) {
            stop();
            controller.error(bodyError(err, signal));
          },
          // Closed by cancel() or the abort listener, which settled the stream.
          closed() {},
        };
        try {
          res._tap(tap);
        } catch (err) {
          stop();
          controller.error(bodyError(err, signal));
        }
      },
      pull() {
        res._setPaused(false);
        return new Promise<void>((resolve) => {
          pulled = resolve;
        });
      },
      cancel() {
        stop();
        pulled = null;
        return res.close();
      },
    },
    STRATEGY,
  );
}
