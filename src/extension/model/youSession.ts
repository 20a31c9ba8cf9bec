// The person's own conversations from "Send Message to Agent", kept for the Sessions view under "You": what was
// sent, the agent's status lines while it worked, and its reply (or why none came). Bounded; no vscode, so the rows
// are tested in plain Node.

import type { TreeItemModel } from './treeItemModel';
import { formatClock } from './relativeTime';

/** Conversations kept; the oldest goes first. */
export const YOU_CONVERSATIONS_MAX = 20;
/** Status lines kept per conversation (the agent's progress, newest kept). */
export const YOU_LINES_MAX = 50;

export type ConversationState = 'sending' | 'waiting' | 'replied' | 'failed' | 'timeout' | 'cancelled';

export interface ConversationLine {
  time: number;
  text: string;
}

export interface Conversation {
  /** Local key, stable from the first moment (the hub's message id comes after the send). */
  readonly key: number;
  readonly agentId: string;
  agentName: string;
  readonly text: string;
  readonly sentAt: number;
  messageId?: string;
  state: ConversationState;
  lines: ConversationLine[];
  /** The reply's text, or what went wrong. */
  outcome?: { time: number; text: string };
}

/** The settled outcome of a send, in the words of the ReplyWatcher. */
export type SendOutcome =
  | { kind: 'reply'; text: string }
  | { kind: 'failed'; text: string }
  | { kind: 'timeout' }
  | { kind: 'cancelled' };

export class YouSession {
  private readonly list: Conversation[] = [];
  private nextKey = 1;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now) {}

  get conversations(): readonly Conversation[] {
    return this.list;
  }

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(agentId: string, agentName: string, text: string): Conversation {
    const c: Conversation = { key: this.nextKey++, agentId, agentName, text, sentAt: this.now(), state: 'sending', lines: [] };
    this.list.push(c);
    if (this.list.length > YOU_CONVERSATIONS_MAX) this.list.splice(0, this.list.length - YOU_CONVERSATIONS_MAX);
    this.changed();
    return c;
  }

  sent(c: Conversation, messageId: string): void {
    c.messageId = messageId;
    c.state = 'waiting';
    this.changed();
  }

  status(c: Conversation, text: string): void {
    if (c.state !== 'waiting' && c.state !== 'sending') return;
    c.lines.push({ time: this.now(), text });
    if (c.lines.length > YOU_LINES_MAX) c.lines.splice(0, c.lines.length - YOU_LINES_MAX);
    this.changed();
  }

  settle(c: Conversation, o: SendOutcome): void {
    const t = this.now();
    if (o.kind === 'reply') c.outcome = { time: t, text: o.text };
    else if (o.kind === 'failed') c.outcome = { time: t, text: o.text };
    c.state = o.kind === 'reply' ? 'replied' : o.kind;
    this.changed();
  }

  /** A send that threw before the hub took it. */
  fail(c: Conversation, text: string): void {
    c.state = 'failed';
    c.outcome = { time: this.now(), text };
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

export const YOU_NODE_ID = 'you';

const STATE_WORDS: Record<ConversationState, string> = {
  sending: 'sending…',
  waiting: 'waiting for the reply…',
  replied: 'replied',
  failed: 'not delivered',
  timeout: 'no reply yet',
  cancelled: 'stopped waiting',
};

function oneLine(s: string, max = 120): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** The "You" row at the top of the Sessions view. */
export function youItem(conversations: readonly Conversation[]): TreeItemModel {
  const n = conversations.length;
  const waiting = conversations.filter((c) => c.state === 'waiting' || c.state === 'sending').length;
  return {
    id: YOU_NODE_ID,
    label: 'You',
    description: `${n} conversation${n === 1 ? '' : 's'}${waiting ? ` · ${waiting} waiting` : ''}`,
    tooltip: 'Your messages from "Send Message to Agent", each with the agent’s status lines and its reply',
    icon: { id: 'account', color: 'charts.green' },
    contextValue: 'session.you',
    collapsible: n > 0 ? 'expanded' : 'none',
  };
}

/** Newest first: one row per message sent, its description the agent and how it went. */
export function conversationItems(conversations: readonly Conversation[]): TreeItemModel[] {
  return [...conversations].reverse().map((c) => ({
    id: `you:${c.key}`,
    label: oneLine(c.text),
    description: `→ ${c.agentName} · ${STATE_WORDS[c.state]}`,
    tooltip: [`To ${c.agentName} (${c.agentId}) at ${formatClock(c.sentAt)}`, c.messageId ? `message id: ${c.messageId}` : undefined, '', c.text]
      .filter((l): l is string => l !== undefined)
      .join('\n'),
    icon:
      c.state === 'replied'
        ? { id: 'pass', color: 'testing.iconPassed' }
        : c.state === 'failed'
          ? { id: 'error', color: 'errorForeground' }
          : c.state === 'waiting' || c.state === 'sending'
            ? { id: 'loading~spin' }
            : { id: 'watch' },
    contextValue: `session.you.${c.state}`,
    collapsible: 'expanded',
  }));
}

/** In the order they happened: the message, the agent's status lines, then its reply or what became of it. */
export function conversationLineItems(c: Conversation): TreeItemModel[] {
  const out: TreeItemModel[] = [
    {
      id: `you:${c.key}:sent`,
      label: oneLine(c.text, 400),
      description: `you → ${c.agentName} · ${formatClock(c.sentAt)}`,
      tooltip: c.text,
      icon: { id: 'arrow-right' },
      contextValue: 'session.you.sent',
      collapsible: 'none',
    },
  ];
  c.lines.forEach((l, i) =>
    out.push({
      id: `you:${c.key}:line:${i}`,
      label: oneLine(l.text, 400),
      description: `${c.agentName} · ${formatClock(l.time)}`,
      tooltip: `${c.agentName} at ${formatClock(l.time)}\n\n${l.text}`,
      icon: { id: 'comment' },
      contextValue: 'session.statusLine',
      collapsible: 'none',
    }),
  );
  if (c.state === 'replied' && c.outcome) {
    out.push({
      id: `you:${c.key}:reply`,
      label: oneLine(c.outcome.text, 400),
      description: `${c.agentName} replied · ${formatClock(c.outcome.time)}`,
      tooltip: `${c.agentName} replied at ${formatClock(c.outcome.time)}\n\n${c.outcome.text}`,
      icon: { id: 'reply', color: 'charts.blue' },
      contextValue: 'session.you.reply',
      collapsible: 'none',
    });
  } else if (c.state === 'failed' || c.state === 'timeout' || c.state === 'cancelled') {
    const text = c.state === 'failed' ? `Not delivered: ${c.outcome?.text ?? ''}` : c.state === 'timeout' ? 'No reply in time; it shows in the monitor when it comes' : 'You stopped waiting; the reply shows in the monitor';
    out.push({
      id: `you:${c.key}:end`,
      label: text,
      icon: c.state === 'failed' ? { id: 'error', color: 'errorForeground' } : { id: 'info' },
      contextValue: 'session.you.end',
      collapsible: 'none',
    });
  }
  return out;
}

/** The one You session of this window: Send writes to it, the Sessions view reads it. */
export const youSession = new YouSession();
