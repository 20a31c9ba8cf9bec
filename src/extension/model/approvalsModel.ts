// Pending tool approvals (seed 003) as the window shows them: bound to the hub this window runs (its agent streams),
// re-bound when the hub is swapped, and turned into plain tree rows and notification text. No vscode import.

import type { AgentStreams } from '../../hub/agentStreams/agentStreams';
import type { PendingApprovalT } from '../../protocol/agentStreams';
import type { ObserverClient } from '../../sdk/observerClient';
import { decideApproval, watchAgentStreams } from '../../sdk/agentStreamWatcher';
import { Emitter, type Unsubscribe } from './emitter';
import type { HubConnection } from './hubConnection';
import type { TreeItemModel } from './treeItemModel';

/** Arguments shown in a row or a notification are cut here. */
const ARGS_CHARS = 120;

/** What the window shows: a request came, or an approval is no longer pending (decided, timed out, cancelled). */
export type ApprovalEvent = { kind: 'requested'; approval: PendingApprovalT } | { kind: 'resolved'; approvalId: string; agentId: string };

/** Where approvals come from and decisions go. */
export interface ApprovalSource {
  pending(agentId?: string): PendingApprovalT[];
  /** Rejects with the hub's reason when the approval is gone (decided elsewhere, timed out, the agent left). */
  decide(approvalId: string, approved: boolean, note?: string): Promise<void>;
  dispose(): void;
}

/** The hub this window runs: its agent streams, in process. */
export class LocalApprovals implements ApprovalSource {
  private readonly off: Unsubscribe;

  constructor(
    private readonly streams: AgentStreams,
    emit: (e: ApprovalEvent) => void,
  ) {
    this.off = streams.onApprovalChange((c) =>
      emit(c.kind === 'requested' ? c : { kind: 'resolved', approvalId: c.resolution.approval.approval_id, agentId: c.resolution.approval.agent_id }),
    );
  }

  pending(agentId?: string): PendingApprovalT[] {
    return this.streams.pendingApprovals(agentId);
  }

  async decide(approvalId: string, approved: boolean, note?: string): Promise<void> {
    this.streams.decide(approvalId, approved, note);
  }

  dispose(): void {
    this.off();
  }
}

/** Another window's hub, watched as a monitor: every agent's stream, decisions as TOOL_APPROVAL_DECISION frames. */
export class RemoteApprovals implements ApprovalSource {
  private readonly byId = new Map<string, PendingApprovalT>();
  private stop: (() => Promise<void>) | undefined;
  private disposed = false;

  constructor(
    private readonly client: ObserverClient,
    private readonly emit: (e: ApprovalEvent) => void,
    onError: (err: unknown) => void,
  ) {
    watchAgentStreams(client, undefined, (u) => {
      if (u.kind === 'state') this.agentState(u.agentId, u.state.pending_approvals);
    }).then(
      (w) => {
        if (this.disposed) void w.stop();
        else this.stop = w.stop;
      },
      onError,
    );
  }

  pending(agentId?: string): PendingApprovalT[] {
    const all = [...this.byId.values()];
    return agentId === undefined ? all : all.filter((p) => p.agent_id === agentId);
  }

  decide(approvalId: string, approved: boolean, note?: string): Promise<void> {
    return decideApproval(this.client, approvalId, approved, note, 10_000, true);
  }

  dispose(): void {
    this.disposed = true;
    void this.stop?.();
  }

  /** An agent's pending list as its latest snapshot says: what is new was requested, what is gone was resolved. */
  private agentState(agentId: string, pending: PendingApprovalT[]): void {
    const now = new Set(pending.map((p) => p.approval_id));
    for (const [id, p] of [...this.byId]) {
      if (p.agent_id !== agentId || now.has(id)) continue;
      this.byId.delete(id);
      this.emit({ kind: 'resolved', approvalId: id, agentId });
    }
    for (const p of pending) {
      if (this.byId.has(p.approval_id)) continue;
      this.byId.set(p.approval_id, p);
      this.emit({ kind: 'requested', approval: p });
    }
  }
}

/** What ApprovalsModel needs of the HubManager. */
export interface ApprovalsHost {
  readonly hub: unknown;
  readonly connection: HubConnection | undefined;
  onDidSwapConnection(listener: (conn: HubConnection | undefined) => void): Unsubscribe;
}

export class ApprovalsModel {
  private readonly changes = new Emitter<ApprovalEvent>();
  private source: ApprovalSource | undefined;
  private readonly unsubSwap: Unsubscribe;

  constructor(
    private readonly host: ApprovalsHost,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.unsubSwap = host.onDidSwapConnection(() => this.bind());
    this.bind();
  }

  /** Approvals requested and resolved on the hub this window shows. */
  onDidChange(listener: (e: ApprovalEvent) => void): Unsubscribe {
    return this.changes.on(listener);
  }

  /** Whether a hub is there to decide on. */
  get available(): boolean {
    return this.source !== undefined;
  }

  pending(agentId?: string): PendingApprovalT[] {
    return this.source?.pending(agentId) ?? [];
  }

  get(approvalId: string): PendingApprovalT | undefined {
    return this.pending().find((p) => p.approval_id === approvalId);
  }

  decide(approvalId: string, approved: boolean, note?: string): Promise<void> {
    if (!this.source) return Promise.reject(new Error('No hub is running or attached: start one first.'));
    return this.source.decide(approvalId, approved, note);
  }

  dispose(): void {
    this.unsubSwap();
    this.source?.dispose();
    this.changes.clear();
  }

  private bind(): void {
    this.source?.dispose();
    this.source = undefined;
    const emit = (e: ApprovalEvent): void => this.changes.fire(e, this.onError);
    const streams = (this.host.hub as { agentStreams?: AgentStreams } | undefined)?.agentStreams;
    const conn = this.host.connection as (HubConnection & { streamClient?: ObserverClient }) | undefined;
    if (streams) this.source = new LocalApprovals(streams, emit);
    else if (conn?.mode === 'attached' && conn.streamClient) this.source = new RemoteApprovals(conn.streamClient, emit, this.onError);
  }
}

/** "write_file {"path":"a.txt"}" — a tool call in one line. */
export function describeCall(p: PendingApprovalT): string {
  const args = p.arguments === null || p.arguments === undefined ? '' : JSON.stringify(p.arguments);
  const short = args.length > ARGS_CHARS ? args.slice(0, ARGS_CHARS - 1) + '…' : args;
  return short ? `${p.tool} ${short}` : p.tool;
}

/** The notification for a new approval. */
export function approvalNotice(p: PendingApprovalT, agentName: string): string {
  const when = p.expires_at ? ` (${p.default ? 'approved' : 'denied'} by default at ${new Date(p.expires_at).toLocaleTimeString()})` : '';
  return `${agentName} asks to call ${describeCall(p)}${when}`;
}

export const PENDING_NODE_PREFIX = 'approvals:';
export const APPROVAL_ROW_PREFIX = 'approval:';
export const APPROVAL_CONTEXT_VALUE = 'switchboard.approval';

/** The "Pending approvals" node under an agent. */
export function pendingNode(agentId: string, count: number): TreeItemModel {
  return {
    id: `${PENDING_NODE_PREFIX}${agentId}`,
    label: 'Pending approvals',
    description: String(count),
    icon: { id: 'shield', color: 'charts.yellow' },
    collapsible: 'expanded',
    tooltip: 'Tool calls this agent waits on: approve or deny them inline, or with "Approve Tool Call" / "Deny Tool Call".',
  };
}

/** One approval row (inline approve and deny through its contextValue). */
export function approvalRow(p: PendingApprovalT): TreeItemModel {
  return {
    id: `${APPROVAL_ROW_PREFIX}${p.approval_id}`,
    label: describeCall(p),
    description: p.expires_at ? `${p.default ? 'approve' : 'deny'} at ${new Date(p.expires_at).toLocaleTimeString()}` : p.approval_id,
    tooltip: `${p.approval_id}\n${JSON.stringify(p.arguments, null, 2)}`,
    icon: { id: 'question' },
    contextValue: APPROVAL_CONTEXT_VALUE,
    collapsible: 'none',
  };
}

/** The approval id a command argument names: the id itself, or an approval row of the tree. */
export function approvalIdOf(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg) return arg;
  const id = (arg as { model?: { id?: unknown } } | undefined)?.model?.id;
  return typeof id === 'string' && id.startsWith(APPROVAL_ROW_PREFIX) ? id.slice(APPROVAL_ROW_PREFIX.length) : undefined;
}
