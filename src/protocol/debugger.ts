// The message debugger on the wire (issue 20): debugger clients — front-ends and monitors; never agents or brokers —
// set message breakpoints (filters in the language of filter.ts) and act on held messages; the hub announces what it
// holds, releases and logs. Kept apart from schemas.ts, which spreads DEBUGGER_MESSAGE_SCHEMAS into its table.

import { Type, type Static, type TSchema, type TProperties } from '@sinclair/typebox';

export const DebuggerMessageType = {
  DEBUG_ATTACH: 'DEBUG_ATTACH',
  DEBUG_SET_BREAKPOINTS: 'DEBUG_SET_BREAKPOINTS',
  DEBUG_ACTION: 'DEBUG_ACTION',
  DEBUG_ACTION_RESULT: 'DEBUG_ACTION_RESULT',
  DEBUG_STATE: 'DEBUG_STATE',
  DEBUG_BREAKPOINTS: 'DEBUG_BREAKPOINTS',
  DEBUG_ALL_BREAKPOINTS: 'DEBUG_ALL_BREAKPOINTS',
  DEBUG_HELD: 'DEBUG_HELD',
  DEBUG_RELEASED: 'DEBUG_RELEASED',
  DEBUG_LOG: 'DEBUG_LOG',
} as const;

const Id = Type.String({ minLength: 1, maxLength: 256 });
const Timestamp = Type.Union([Type.String({ maxLength: 128 }), Type.Number()]);
const envelopeProps = {
  message_id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Number()])),
  sender_id: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
  receiver_id: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
  timestamp: Type.Optional(Timestamp),
} satisfies TProperties;

function debugMessage<T extends string, P extends TProperties>(type: T, props: P, description: string) {
  return Type.Object({ message_type: Type.Literal(type), ...envelopeProps, ...props }, { $id: type, description, additionalProperties: true });
}

/** One breakpoint as a client asks for it. */
export const BreakpointSpec = Type.Object(
  {
    /** The filter language of src/protocol/filter.ts, e.g. "type:TEXT to:planner text:refund". */
    filter: Type.String({ maxLength: 1024 }),
    /** Stop only from the Nth matching message on (1 = every match). */
    hit_count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    /** A second filter that must hold too (a conditional breakpoint). */
    condition: Type.Optional(Type.String({ maxLength: 1024 })),
    /** A logpoint: records this line ({type} {from} {to} {text} {id} are filled in) and never holds. */
    log_message: Type.Optional(Type.String({ maxLength: 2048 })),
  },
  { additionalProperties: false },
);

export const BreakpointInfo = Type.Object({
  breakpoint_id: Id,
  owner: Type.String({ maxLength: 256 }),
  /** Who the owner is, for a person ("Debug Agents in VS Code", a monitor's or front-end's name). */
  owner_name: Type.Optional(Type.String({ maxLength: 256 })),
  filter: Type.String({ maxLength: 1024 }),
  verified: Type.Boolean(),
  error: Type.Optional(Type.String({ maxLength: 2048 })),
  hits: Type.Integer({ minimum: 0 }),
  hit_count: Type.Optional(Type.Integer({ minimum: 1 })),
  condition: Type.Optional(Type.String({ maxLength: 1024 })),
  log_message: Type.Optional(Type.String({ maxLength: 2048 })),
});

/** Why a message is held: a breakpoint stopped it, a step or pause trap caught it, or it waits behind an earlier held one of its sender (order). */
export const HoldReason = Type.Union([Type.Literal('breakpoint'), Type.Literal('step'), Type.Literal('pause'), Type.Literal('order')]);

export const HeldInfo = Type.Object({
  held_id: Id,
  reason: HoldReason,
  breakpoint_id: Type.Optional(Id),
  /** The owner of that breakpoint (each debugger has its own list; a hold stops the message for every debugger). */
  breakpoint_owner: Type.Optional(Type.String({ maxLength: 256 })),
  breakpoint_owner_name: Type.Optional(Type.String({ maxLength: 256 })),
  breakpoint_filter: Type.Optional(Type.String({ maxLength: 1024 })),
  held_at: Type.String({ maxLength: 128 }),
  bytes: Type.Integer({ minimum: 0 }),
  /** The message as it will be delivered (after any edit). */
  message: Type.Record(Type.String(), Type.Unknown()),
  /** How it arrived: from this hub's client (undefined), a routing broker's answer or another hub's forward. */
  via: Type.Optional(Type.Union([Type.Literal('broker'), Type.Literal('hub')])),
});

export const DebugActionName = Type.Union([
  Type.Literal('continue'),
  Type.Literal('step'),
  Type.Literal('edit'),
  Type.Literal('drop'),
  Type.Literal('release_all'),
  Type.Literal('pause'),
]);

export const ReleaseOutcome = Type.Union([
  Type.Literal('continued'),
  Type.Literal('stepped'),
  Type.Literal('edited'),
  Type.Literal('dropped'),
  Type.Literal('released_all'),
  Type.Literal('over_bound'),
  Type.Literal('timed_out'),
  Type.Literal('in_order'),
]);

export const DebugAttach = debugMessage('DEBUG_ATTACH', {}, 'A debugger client attaches: it receives DEBUG_STATE, then DEBUG_HELD, DEBUG_RELEASED and DEBUG_LOG.');

export const DebugSetBreakpoints = debugMessage(
  'DEBUG_SET_BREAKPOINTS',
  { breakpoints: Type.Array(BreakpointSpec, { maxItems: 1000 }) },
  "Replaces the sender's own message breakpoints (and attaches it); the hub answers DEBUG_BREAKPOINTS.",
);

export const DebugAction = debugMessage(
  'DEBUG_ACTION',
  {
    action: DebugActionName,
    /** The held message acted on (all but release_all and pause). */
    held_id: Type.Optional(Id),
    /** pause: hold the next message to or from this agent. */
    agent_id: Type.Optional(Id),
    /**
     * edit (and optionally step): fields replaced in the held message (message_id and sender_id cannot change); the
     * codec validates the result. A step with fields is applied whole or, the edit refused, not at all.
     */
    fields: Type.Optional(Type.Record(Type.String({ maxLength: 128 }), Type.Unknown())),
    /** drop: also send the sender an ERROR with this text (by default it gets nothing). */
    error_to_sender: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  'A debugger client acts on a held message: continue, step, edit, drop, release_all, or pause an agent.',
);

export const DebugActionResult = debugMessage(
  'DEBUG_ACTION_RESULT',
  {
    /** The DEBUG_ACTION's message_id (absent when it carried none). */
    in_reply_to_message_id: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Number()])),
    action: Type.String({ maxLength: 64 }),
    held_id: Type.Optional(Id),
    /** true: done; false: refused, and nothing changed (the message was already released, the edit is not valid…). */
    ok: Type.Boolean(),
    /** Refused: the error code (invalid_message…) and what happened, for the person who asked. */
    code: Type.Optional(Type.String({ maxLength: 64 })),
    error: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  "Hub → the debugger client that sent a DEBUG_ACTION: its answer, done or refused, naming the action's message_id.",
);

export const DebugState = debugMessage(
  'DEBUG_STATE',
  { breakpoints: Type.Array(BreakpointInfo), held: Type.Array(HeldInfo) },
  'Hub → a debugger client that attached: every breakpoint and every held message.',
);

export const DebugBreakpoints = debugMessage(
  'DEBUG_BREAKPOINTS',
  { breakpoints: Type.Array(BreakpointInfo) },
  "Hub → a debugger client: its breakpoints as set, each verified or with the parse error.",
);

export const DebugAllBreakpoints = debugMessage(
  'DEBUG_ALL_BREAKPOINTS',
  { breakpoints: Type.Array(BreakpointInfo) },
  "Hub → debugger clients, whenever any owner's list changes: every owner's breakpoints, so each debugger can show the others' (read-only).",
);

export const DebugHeld = debugMessage(
  'DEBUG_HELD',
  { held: HeldInfo, held_count: Type.Integer({ minimum: 0 }) },
  'Hub → debugger clients: a message is held before delivery.',
);

export const DebugReleased = debugMessage(
  'DEBUG_RELEASED',
  {
    held_id: Id,
    outcome: ReleaseOutcome,
    /** What was delivered (absent when dropped). */
    delivered: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** The message as it was held, when an edit changed it. */
    original: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    held_count: Type.Integer({ minimum: 0 }),
  },
  'Hub → debugger clients: a held message was released (delivered), edited and delivered, or dropped.',
);

export const DebugLog = debugMessage(
  'DEBUG_LOG',
  { breakpoint_id: Id, text: Type.String({ maxLength: 8192 }), held_message_id: Type.Optional(Type.String({ maxLength: 256 })) },
  'Hub → debugger clients: a logpoint matched a message (which went on undisturbed).',
);

/** Spread into MESSAGE_SCHEMAS (schemas.ts) so the codec validates them and the JSON Schema build includes them. */
export const DEBUGGER_MESSAGE_SCHEMAS = {
  DEBUG_ATTACH: DebugAttach,
  DEBUG_SET_BREAKPOINTS: DebugSetBreakpoints,
  DEBUG_ACTION: DebugAction,
  DEBUG_ACTION_RESULT: DebugActionResult,
  DEBUG_STATE: DebugState,
  DEBUG_BREAKPOINTS: DebugBreakpoints,
  DEBUG_ALL_BREAKPOINTS: DebugAllBreakpoints,
  DEBUG_HELD: DebugHeld,
  DEBUG_RELEASED: DebugReleased,
  DEBUG_LOG: DebugLog,
} as const satisfies Record<string, TSchema>;

export type BreakpointSpecT = Static<typeof BreakpointSpec>;
export type BreakpointInfoT = Static<typeof BreakpointInfo>;
export type HeldInfoT = Static<typeof HeldInfo>;
export type HoldReasonT = Static<typeof HoldReason>;
export type DebugActionNameT = Static<typeof DebugActionName>;
export type ReleaseOutcomeT = Static<typeof ReleaseOutcome>;
export type DebugSetBreakpointsMsg = Static<typeof DebugSetBreakpoints>;
export type DebugActionMsg = Static<typeof DebugAction>;
export type DebugActionResultMsg = Static<typeof DebugActionResult>;
