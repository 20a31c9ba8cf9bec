// Seed 003 agent streams on the wire: an agent reports its context (AGENT_CONTEXT) and asks a person before a tool
// call (TOOL_APPROVAL_REQUEST); a front-end or monitor subscribes (MONITOR_SUBSCRIBE) and gets a SNAPSHOT, then DIFFs
// (RFC 6902), STREAM_EVENTs and, when it fell behind, a RESYNC; its TOOL_APPROVAL_DECISION goes back to the agent.
// ("Monitor streams" in src/hub/monitors.ts is the event-log stream; these are agent streams.)

import { Type, type Static, type TSchema, type TProperties } from '@sinclair/typebox';

// Kept apart from schemas.ts (which spreads AGENT_STREAM_MESSAGE_SCHEMAS into MESSAGE_SCHEMAS): no import cycle.
const Timestamp = Type.Union([Type.String({ maxLength: 128 }), Type.Number()]);
const MessageId = Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Number()]);
const AgentRef = Type.String({ minLength: 1, maxLength: 256 });
const OptionalRef = Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()]));
const ApprovalId = Type.String({ minLength: 1, maxLength: 256 });
const Seq = Type.Integer({ minimum: 0 });

const envelopeProps = {
  message_id: Type.Optional(MessageId),
  sender_id: OptionalRef,
  receiver_id: OptionalRef,
  send_timestamp: Type.Optional(Type.Union([Timestamp, Type.Null()])),
} satisfies TProperties;

function streamMessage<T extends string, P extends TProperties>(type: T, props: P, description: string) {
  return Type.Object({ message_type: Type.Literal(type), ...envelopeProps, ...props }, { $id: type, description, additionalProperties: true });
}

/** Default cap on one AGENT_CONTEXT's context, in bytes of JSON (the hub option maxAgentContextBytes). */
export const DEFAULT_MAX_AGENT_CONTEXT_BYTES = 256 * 1024;
/** Longest tool name accepted in a TOOL_APPROVAL_REQUEST. */
export const MAX_TOOL_NAME_CHARS = 256;

export const PendingApproval = Type.Object(
  {
    approval_id: ApprovalId,
    agent_id: AgentRef,
    tool: Type.String({ minLength: 1, maxLength: MAX_TOOL_NAME_CHARS }),
    arguments: Type.Unknown(),
    requested_at: Type.String(),
    /** When the hub applies `default` (ISO time), or null: it waits for a person. */
    expires_at: Type.Union([Type.String(), Type.Null()]),
    default: Type.Union([Type.Boolean(), Type.Null()]),
  },
  { additionalProperties: true, description: 'A tool call an agent is waiting on a person to approve or deny.' },
);

/** The state of one agent as a subscriber sees it; DIFFs are JSON Patches against it. */
export const AgentStreamSnapshot = Type.Object(
  {
    agent_id: AgentRef,
    /** The registry's snapshot (presence, last seen, status line), or null for an agent the hub does not know. */
    agent: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    /** What the agent last reported with AGENT_CONTEXT, or null. */
    context: Type.Unknown(),
    pending_approvals: Type.Array(PendingApproval),
  },
  { additionalProperties: true },
);

export const AgentContext = streamMessage(
  'AGENT_CONTEXT',
  { context: Type.Unknown({ description: 'Any JSON: model, tools, recent messages, MCP servers… capped in size by the hub (maxAgentContextBytes).' }) },
  'Agent → hub: its current context, replacing the previous report. Subscribers see it in snapshots and diffs.',
);

export const MonitorSubscribe = streamMessage(
  'MONITOR_SUBSCRIBE',
  { agent_id: Type.Optional(Type.Union([AgentRef, Type.Null()])) },
  'Front-end or monitor → hub: stream one agent (agent_id), or every agent (none). A SNAPSHOT per agent follows at once.',
);

export const MonitorUnsubscribe = streamMessage(
  'MONITOR_UNSUBSCRIBE',
  { agent_id: Type.Optional(Type.Union([AgentRef, Type.Null()])) },
  'Front-end or monitor → hub: stop the stream of one agent (agent_id), or of every agent (none).',
);

export const Snapshot = streamMessage(
  'SNAPSHOT',
  {
    agent_id: AgentRef,
    agent: AgentStreamSnapshot.properties.agent,
    context: Type.Unknown(),
    pending_approvals: Type.Array(PendingApproval),
    seq: Seq,
  },
  "Hub → subscriber: an agent's full state; later DIFFs apply to it. seq counts this subscriber's frames for the agent.",
);

export const JsonPatchOperation = Type.Object(
  {
    op: Type.Union([Type.Literal('add'), Type.Literal('remove'), Type.Literal('replace'), Type.Literal('move'), Type.Literal('copy'), Type.Literal('test')]),
    path: Type.String(),
    value: Type.Optional(Type.Unknown()),
    from: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const Diff = streamMessage(
  'DIFF',
  { agent_id: AgentRef, patch: Type.Array(JsonPatchOperation, { minItems: 1 }), seq: Seq },
  'Hub → subscriber: an RFC 6902 JSON Patch from the state it was last sent to the current one (at most every diffInterval).',
);

export const StreamEvent = streamMessage(
  'STREAM_EVENT',
  {
    agent_id: AgentRef,
    event: Type.Object(
      { event_type: Type.String({ minLength: 1, maxLength: 256 }), data: Type.Optional(Type.Unknown()), time: Type.String() },
      { additionalProperties: true },
    ),
    seq: Seq,
  },
  "Hub → subscriber: an agent event (AGENT_EVENT) or an approval change, followed by a SNAPSHOT when the agent's state changed.",
);

export const Resync = streamMessage(
  'RESYNC',
  { agent_id: AgentRef, snapshot: AgentStreamSnapshot, missed: Type.Integer({ minimum: 1 }), seq: Seq },
  "Hub → a subscriber that fell behind: its queue overflowed, `missed` frames were not sent; here is the agent's full state.",
);

export const ToolApprovalRequest = streamMessage(
  'TOOL_APPROVAL_REQUEST',
  {
    approval_id: ApprovalId,
    tool: Type.String({ minLength: 1, maxLength: MAX_TOOL_NAME_CHARS }),
    arguments: Type.Optional(Type.Unknown()),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 * 1000 })),
    default: Type.Optional(Type.Boolean({ description: 'Applied when timeout_ms passes with no decision; false when absent.' })),
  },
  'Agent → hub: may I call this tool? The answer comes back as TOOL_APPROVAL_DECISION with the same approval_id.',
);

export const ToolApprovalDecision = streamMessage(
  'TOOL_APPROVAL_DECISION',
  {
    approval_id: ApprovalId,
    approved: Type.Boolean(),
    note: Type.Optional(Type.Union([Type.String({ maxLength: 4096 }), Type.Null()])),
    /** Set by the hub on the way to the agent (a sender's own value is ignored): a client id, "timeout" or "cancelled". */
    decided_by: Type.Optional(Type.String({ maxLength: 256 })),
    agent_id: Type.Optional(AgentRef),
  },
  'Front-end or monitor → hub: the decision on a pending approval (exactly once); hub → agent: the decision, with decided_by.',
);

/** Spread into MESSAGE_SCHEMAS (schemas.ts) so the codec validates them and the JSON Schema build includes them. */
export const AGENT_STREAM_MESSAGE_SCHEMAS = {
  AGENT_CONTEXT: AgentContext,
  MONITOR_SUBSCRIBE: MonitorSubscribe,
  MONITOR_UNSUBSCRIBE: MonitorUnsubscribe,
  SNAPSHOT: Snapshot,
  DIFF: Diff,
  STREAM_EVENT: StreamEvent,
  RESYNC: Resync,
  TOOL_APPROVAL_REQUEST: ToolApprovalRequest,
  TOOL_APPROVAL_DECISION: ToolApprovalDecision,
} as const satisfies Record<string, TSchema>;

export type PendingApprovalT = Static<typeof PendingApproval>;
export type AgentStreamSnapshotT = Static<typeof AgentStreamSnapshot>;
export type JsonPatchOperationT = Static<typeof JsonPatchOperation>;
export type SnapshotMsg = Static<typeof Snapshot>;
export type DiffMsg = Static<typeof Diff>;
export type StreamEventMsg = Static<typeof StreamEvent>;
export type ResyncMsg = Static<typeof Resync>;
export type ToolApprovalRequestMsg = Static<typeof ToolApprovalRequest>;
export type ToolApprovalDecisionMsg = Static<typeof ToolApprovalDecision>;

/** What a person (or the timeout) decided, as the SDK hands it to the agent. */
export interface ApprovalOutcome {
  approved: boolean;
  note: string | null;
  decidedBy: string;
}
