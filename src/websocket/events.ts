/**
 * The events a WebSocket emits, and a small typed emitter for them: listener
 * lists allocated on the first `on()`, a throwing listener isolated from the
 * connection's state.
 * @module
 */
import { WebSocketError } from '../errors.js';

/** A received message: a string for text, bytes (a Buffer) for binary. */
export type WebSocketMessage = string | Uint8Array;

/** Events of a WebSocket and their listener arguments. */
export interface WebSocketEventMap {
  /** A connection opened (the first one and each reconnection). */
  open: [];
  /** A message arrived (with a `message` listener, messages are not queued for `receive()`). */
  message: [data: WebSocketMessage];
  /** The WebSocket is closed for good. */
  close: [code: number, reason: string];
  /** The connection failed (protocol violation, drop without reconnect, reconnect given up), or a listener threw. */
  error: [error: Error];
  /** The connection dropped; attempt `attempt` starts after `delayMs`. */
  reconnecting: [attempt: number, delayMs: number, cause: Error];
  /** A reconnect succeeded on attempt `attempt`. */
  reconnect: [attempt: number];
  /** The server pinged (it has been answered). */
  ping: [data: Uint8Array];
  /** A pong arrived. */
  pong: [data: Uint8Array];
}

/** Name of a WebSocket event. */
export type EventName = keyof WebSocketEventMap;
type AnyListener = (...args: any[]) => void;

/** Listener lists, one per event. */
class Listeners {
  open: AnyListener[] = [];
  message: AnyListener[] = [];
  close: AnyListener[] = [];
  error: AnyListener[] = [];
  reconnecting: AnyListener[] = [];
  reconnect: AnyListener[] = [];
  ping: AnyListener[] = [];
  pong: AnyListener[] = [];
}

const EVENTS: readonly string[] = ['open', 'message', 'close', 'error', 'reconnecting', 'reconnect', 'ping', 'pong'];

/** Typed `on` / `once` / `off` and a protected `emit`. */
export class Emitter {
  #listeners: Listeners | null;

  constructor() {
    this.#listeners = null;
  }

  /** Add a listener. A `message` listener receives every message, and messages then no longer queue for `receive()`. */
  on<K extends EventName>(event: K, listener: (...args: WebSocketEventMap[K]) => void): this {
    if (!EVENTS.includes(event)) throw new WebSocketError(`unknown WebSocket event ${JSON.stringify(event)}`);
    this.#listeners ??= new Listeners();
    this.#listeners[event].push(listener as AnyListener);
    return this;
  }

  /** Add a listener called once. */
  once<K extends EventName>(event: K, listener: (...args: WebSocketEventMap[K]) => void): this {
    const wrapper = (...args: WebSocketEventMap[K]): void => {
      this.off(event, wrapper);
      listener(...args);
    };
    (wrapper as { listener?: unknown }).listener = listener;
    return this.on(event, wrapper);
  }

  /** Remove a listener added with `on()` or `once()`. */
  off<K extends EventName>(event: K, listener: (...args: WebSocketEventMap[K]) => void): this {
    const list = this.#listeners?.[event];
    if (list !== undefined) {
      const i = list.findIndex((l) => l === listener || (l as { listener?: unknown }).listener === listener);
      if (i !== -1) list.splice(i, 1);
    }
    return this;
  }

  /** Whether `event` has a listener. */
  protected hasListeners(event: EventName): boolean {
    const l = this.#listeners;
    return l !== null && l[event].length > 0;
  }

  /** Call the listeners of `event`. */
  protected emit<K extends EventName>(event: K, ...args: WebSocketEventMap[K]): void {
    const l = this.#listeners;
    if (l === null) return;
    const list = l[event];
    if (list.length === 0) return;
    for (const fn of list.length === 1 ? list : list.slice()) {
      try {
        fn(...args);
      } catch (err) {
        this.#listenerFailed(event, err);
      }
    }
  }

  /**
   * A throwing listener must not corrupt the connection's state: its error
   * goes to the 'error' listeners, or, without any (or when one of them
   * threw), is rethrown outside of reqivo's code, as EventEmitter would.
   */
  #listenerFailed(event: EventName, err: unknown): void {
    if (event !== 'error' && this.#listeners!.error.length > 0) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      return;
    }
    process.nextTick(() => {
      throw err;
    });
  }
}
