// How a reconstructor reaches peers: one interface, one implementation per carrier — the hub's own relay to its
// WebSocket agents (in-process or over a socket) and the seed 002 channels of a bus (busContextTransport.ts).

import type { BusKind } from '../bus/bus';
import type { RequestContextMsg } from '../protocol/contextSchemas';

/** Where a transport delivers what arrives for its requester. Raw answers are validated by the collector. */
export interface AnswerSink {
  answer(raw: unknown, bytes: number): void;
  /**
   * A peer's answer was refused before it reached us (the hub's or the bus's decoding); counts as a rejection. The
   * responder is null when nothing says who sent it (bytes that are not JSON).
   */
  rejected(responderId: string | null, reason: string, requestId?: string): void;
}

/** Names the carrier in a reconstruction's `transport`: the hub relay, a hub over a socket, or the bus that carried it. */
export type ContextTransportKind = 'hub' | 'websocket' | BusKind;

export interface ContextTransport {
  readonly kind: ContextTransportKind;
  /** The requester id peers answer to (the seed's requester_id, part of its response channel's name). */
  readonly requesterId: string;
  /** Start receiving answers (idempotent). Resolves once answers can no longer be missed. */
  open(sink: AnswerSink): Promise<void>;
  /**
   * Send one request. Resolves with the peers it reached when the carrier knows them (the hub relay does), or null
   * when it went to listeners the requester cannot see (a broker fan-out).
   */
  send(request: RequestContextMsg): Promise<string[] | null>;
  close(): Promise<void>;
}

/** Reply to one request with a raw body (tests use it for malformed answers; peers pass a PROVIDE_CONTEXT). */
export type PeerReply = (answer: unknown) => Promise<void>;
export type PeerRequestHandler = (request: RequestContextMsg, reply: PeerReply) => void | Promise<void>;

/** The peer side of a bus carrier: what an agent (or a hub on behalf of its agents) runs to answer requests. */
export interface ContextPeerTransport {
  /** Listen for requests as `peerId` (its own consumer group / queue, so every peer sees every request). */
  serve(peerId: string, handler: PeerRequestHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
