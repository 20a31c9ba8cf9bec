// The demo fleet's coder as a seed 003 agent: it reports its context (model, tools, MCP servers, recent messages, the
// task at hand) as it works, and asks a person before it "writes files" — with a timeout and a default, so the demo
// never hangs when nobody answers. A newcomer sees an approval request within a minute of starting the demo (a chore),
// and whenever the coder is given a task that changes code.

import { errorMessage } from '../protocol/errors';
import type { Logger } from '../protocol/logger';
import type { AgentClient } from './agentClient';

/** Recent messages kept in the reported context. */
const RECENT_MESSAGES = 5;

export interface DemoCoderOptions {
  /** How long the hub waits for a person before applying the default (deny). Default 30 s. */
  approvalTimeoutMs?: number;
}

interface CoderContext {
  model: string;
  tools: string[];
  mcp_servers: { name: string; status: 'connected' | 'disconnected' }[];
  recent_messages: { direction: 'in' | 'out'; text: string }[];
  current_task: string | null;
  files_written: number;
  approvals: { asked: number; approved: number; denied: number };
}

export class DemoCoder {
  private readonly ctx: CoderContext = {
    model: 'demo-coder-1',
    tools: ['read_file', 'write_file', 'run_tests'],
    mcp_servers: [
      { name: 'filesystem', status: 'connected' },
      { name: 'git', status: 'connected' },
    ],
    recent_messages: [],
    current_task: null,
    files_written: 0,
    approvals: { asked: 0, approved: 0, denied: 0 },
  };
  private asking = false;

  constructor(
    private readonly client: AgentClient,
    private readonly label: string,
    private readonly logger: Logger,
    private readonly opts: DemoCoderOptions = {},
  ) {}

  /** Resolves when the pending approval is answered (or times out). */
  private settled: Promise<void> = Promise.resolve();

  /** True while an approval is pending (a chore does not ask twice at once). */
  get waiting(): boolean {
    return this.asking;
  }

  report(): void {
    if (!this.client.connected) return;
    this.client.reportContext(this.ctx).catch((err: unknown) => this.logger.debug(`${this.label} context not sent: ${errorMessage(err)}`));
  }

  note(direction: 'in' | 'out', text: string): void {
    this.ctx.recent_messages = [...this.ctx.recent_messages, { direction, text: text.slice(0, 200) }].slice(-RECENT_MESSAGES);
    this.report();
  }

  task(task: string | null): void {
    this.ctx.current_task = task;
    this.report();
  }

  /**
   * Whether a task changes code (and so writes files, after asking). Other tasks are answered without asking, so a
   * person (or a test) who just chats with the coder is never held up waiting for an approval.
   */
  wantsWrite(task: string): boolean {
    return /\b(write|fix|add|implement|change|refactor)\b/i.test(task);
  }

  /** The reply to a task whose files were not written. */
  notWritten(task: string): string {
    return `Drafted "${task}" but did not write it: the write was not approved.`;
  }

  /** Asks before writing; resolves with whether the files were "written". */
  async writeFiles(reason: string, files: string[]): Promise<boolean> {
    // one approval at a time: a task that wants to write while another write waits for a person queues behind it
    while (this.asking && this.client.connected) await this.settled;
    if (!this.client.connected) return false;
    this.asking = true;
    let settle!: () => void;
    this.settled = new Promise((r) => (settle = r));
    this.ctx.approvals.asked++;
    this.report();
    try {
      this.client.status(`${this.label}: waiting for approval to write ${files.join(', ')}…`);
      const d = await this.client.requestApproval('write_file', { files, reason }, { timeoutMs: this.opts.approvalTimeoutMs ?? 30_000, default: false });
      if (d.approved) {
        this.ctx.approvals.approved++;
        this.ctx.files_written += files.length;
        this.client.status(`${this.label}: wrote ${files.join(', ')} (approved by ${d.decidedBy})`);
      } else {
        this.ctx.approvals.denied++;
        this.client.status(`${this.label}: not writing ${files.join(', ')} — ${d.decidedBy === 'timeout' ? 'nobody answered in time' : `denied by ${d.decidedBy}`}${d.note ? ` (${d.note})` : ''}`);
      }
      return d.approved;
    } catch (err) {
      this.logger.warn(`${this.label}: approval request failed: ${errorMessage(err)}`);
      return false;
    } finally {
      this.asking = false;
      settle();
      this.report();
    }
  }
}
