/**
 * Every fuzz target, in the order `npm run fuzz` runs them.
 * @module
 */
import type { Target } from '../engine.js';
import { cookie } from './cookie.js';
import { h2Frames, hpack } from './h2.js';
import { httpParser } from './http-parser.js';
import { inflateTarget } from './inflate.js';
import { utf8 } from './utf8.js';
import { wsFrame } from './ws-frame.js';
import { wsProtocol } from './ws-protocol.js';

/** The targets by name. */
export const TARGETS: readonly Target[] = [httpParser, wsFrame, wsProtocol, inflateTarget, utf8, cookie, hpack, h2Frames];
