/**
 * Errors across the thread boundary: the worker flattens an error (and its
 * `cause` chain) to plain data; the caller rebuilds it as an instance of the
 * same reqivo class, so `instanceof` works and the stack is the caller's.
 * @module
 */
import * as reqivo from '../index.js';

/**
 * The reqivo/sync worker failed: it exited, stopped answering, or could not
 * start. The session it belonged to is unusable afterwards.
 */
export class SyncWorkerError extends reqivo.RequestError {}

/** An error as plain JSON data. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  /** Whether it is a ReqivoError (its name then picks the class). */
  readonly reqivo: boolean;
  /** Own fields with JSON values (method, url, code, timeoutMs, limit, status, …). */
  readonly props: Record<string, unknown>;
  readonly cause: WireError | null;
  /** AggregateError's `errors`. */
  readonly errors: WireError[] | null;
}

const MAX_DEPTH = 8;
const SKIPPED = new Set(['message', 'stack', 'cause', 'errors', 'name']);

function jsonable(v: unknown): boolean {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return true;
  if (typeof v !== 'object') return false;
  try {
    JSON.stringify(v);
    return true;
  } catch {
    return false;
  }
}

/** Flatten `err` (and its causes) to JSON-ready data. */
export function serializeError(err: unknown, depth = 0): WireError {
  if (!(err instanceof Error)) {
    return { name: 'Error', message: String(err), reqivo: false, props: {}, cause: null, errors: null };
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(err)) {
    const v = (err as unknown as Record<string, unknown>)[key];
    if (!SKIPPED.has(key) && jsonable(v)) props[key] = v;
  }
  const agg = (err as Partial<AggregateError>).errors;
  return {
    name: err.name,
    message: err.message,
    reqivo: err instanceof reqivo.ReqivoError,
    props,
    cause: 'cause' in err && depth < MAX_DEPTH ? serializeError(err.cause, depth + 1) : null,
    errors: Array.isArray(agg) && depth < MAX_DEPTH ? agg.map((e) => serializeError(e, depth + 1)) : null,
  };
}

const BUILTIN: Record<string, ErrorConstructor> = { Error, TypeError, RangeError, SyntaxError, URIError, EvalError, ReferenceError };

function classFor(w: WireError): ErrorConstructor {
  if (w.reqivo) {
    if (w.name === 'SyncWorkerError') return SyncWorkerError as unknown as ErrorConstructor;
    const c = (reqivo as Record<string, unknown>)[w.name];
    if (typeof c === 'function' && c.prototype instanceof reqivo.ReqivoError) return c as ErrorConstructor;
    return reqivo.ReqivoError as unknown as ErrorConstructor;
  }
  if (w.name === 'AggregateError') return AggregateError as unknown as ErrorConstructor;
  return BUILTIN[w.name] ?? Error;
}

/**
 * Rebuild a flattened error as an instance of its class, without running the
 * class's constructor (which would prefix the message a second time): a real
 * Error with the class's prototype, its fields, its cause, and this thread's stack.
 */
export function rebuildError(w: WireError): Error {
  const cls = classFor(w);
  const cause = w.cause !== null ? { cause: rebuildError(w.cause) } : undefined;
  const err = Reflect.construct(Error, [w.message, cause], cls) as Error;
  // V8 hides the frames above new.target, which is not on the stack here: take them again.
  Error.captureStackTrace(err, rebuildError);
  Object.assign(err, w.props);
  if (w.errors !== null) Object.defineProperty(err, 'errors', { value: w.errors.map(rebuildError), writable: true, configurable: true });
  // A built-in error whose name is not its class's (a Node SystemError, a DOMException) keeps its name.
  if (!w.reqivo && err.name !== w.name) Object.defineProperty(err, 'name', { value: w.name, writable: true, configurable: true });
  return err;
}
