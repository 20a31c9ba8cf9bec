// A fleet of simulated agents with distinct personalities, for newcomers (`switchboard demo`, "Start Demo Agents")
// and tests: they register, work in steps that emit STATUS lines for the session they serve, reply, emit
// AGENT_EVENTs, and — unless chaos is off — now and then go silent or crash and come back under the same id.

import { errorMessage } from '../protocol/errors';
import type { DemoChaos } from '../protocol/envOptions';
import { silentLogger, type Logger } from '../protocol/logger';
import type { Envelope } from '../protocol/schemas';
import { AgentClient } from './agentClient';
import type { BackoffOptions } from '../protocol/backoff';
import { FrontendClient } from './frontendClient';
import { DemoCoder } from './demoFleetCoder';

interface Persona {
  name: string;
  steps: string[];
  /** Background chores done now and then without a session (monitors see them). */
  chores: string[];
  /** Another persona asked for help while serving a person; its status lines reach the same session. */
  delegate?: string;
  answer(task: string): string;
  /** What the simulated person asks this persona. */
  prompts: string[];
}

const PERSONAS: readonly Persona[] = [
  {
    name: 'planner',
    steps: ['reading the request…', 'breaking the task into steps…', 'asking the researcher for background…', 'ordering the steps…'],
    chores: ['re-prioritising the backlog…', 'checking deadlines…'],
    delegate: 'researcher',
    answer: (t) => `Plan for "${t}": 1) gather facts 2) draft 3) review 4) summarise.`,
    prompts: ['plan a team offsite', 'plan the v2 launch', 'plan a database migration'],
  },
  {
    name: 'researcher',
    steps: ['searching the web…', 'reading 3 sources…', 'extracting key facts…'],
    chores: ['refreshing the paper index…', 'following citations…'],
    answer: (t) => `Found 3 sources on "${t}"; the strongest says it is feasible within a week.`,
    prompts: ['find papers on vector clocks', 'what changed in Node 22?', 'compare RabbitMQ and Kafka'],
  },
  {
    name: 'coder',
    steps: ['opening the workspace…', 'calling tool write_file…', 'running the unit tests…', '12 tests passed'],
    chores: ['updating dependencies…', 'running the linter…'],
    answer: (t) => `Done: "${t}" is implemented in src/feature.ts with 12 passing tests.`,
    prompts: ['write a debounce function', 'add retries to the HTTP client', 'fix the flaky login test'],
  },
  {
    name: 'reviewer',
    steps: ['reading the diff…', 'checking edge cases…', 'writing review comments…'],
    chores: ['scanning open pull requests…'],
    answer: (t) => `Review of "${t}": approve, with two nits about naming.`,
    prompts: ['review PR #42', 'review the retry logic', 'is this diff safe to merge?'],
  },
  {
    name: 'summariser',
    steps: ['collecting the thread…', 'condensing to three bullets…'],
    chores: ['digesting yesterday’s logs…'],
    answer: (t) => `Summary of "${t}": shipped, one open risk, next review Friday.`,
    prompts: ["summarise today's standup", 'summarise the incident report', 'tl;dr of the design doc'],
  },
];

type Range = [min: number, max: number];

/**
 * Time between chaos events for one agent, by level. 'rare': none in the first 5 minutes, then with five agents about
 * one a minute and a half; 'often' (the first demo's pace): with five agents about one every 12 s.
 */
export const DEMO_CHAOS_EVERY_MS: Readonly<Record<DemoChaos, Range | undefined>> = {
  off: undefined,
  rare: [300_000, 600_000],
  often: [30_000, 90_000],
};

/** The schedule a fleet with these options uses: undefined when chaos is off. */
export function chaosEveryMs(opts: Pick<DemoFleetOptions, 'chaos' | 'crashes' | 'chaosEveryMs'>): Range | undefined {
  const level: DemoChaos = opts.crashes === false ? 'off' : (opts.chaos ?? 'rare');
  if (level === 'off') return undefined;
  return opts.chaosEveryMs ?? DEMO_CHAOS_EVERY_MS[level];
}

export interface DemoFleetOptions {
  /** The hub's agent URL (ws://…/ws?token=…). */
  url: string;
  /** How many agents; personas repeat with a suffix beyond five. Default 5. */
  count?: number;
  logger?: Logger;
  /**
   * Chaos: agents now and then go silent (no PONGs) or crash, and come back under the same id. 'rare' by default, so
   * a first try sees the fleet working; see DEMO_CHAOS_EVERY_MS.
   */
  chaos?: DemoChaos;
  /** false: the same as chaos 'off' (kept for callers of the first SDK). */
  crashes?: boolean;
  /** Time between chaos events for one agent; overrides the level's. */
  chaosEveryMs?: Range;
  /** A silent spell; longer than the hub's inactivity timeout (15 s by default) so presence marks the agent offline. Default 25 s. */
  silenceMs?: number;
  /** How long a crashed agent stays away. Default 4–12 s. */
  crashDownMs?: Range;
  /** Pause between work steps. Default 300–900 ms. */
  stepDelayMs?: Range;
  /** Agents do background chores on their own (status lines without a session). Default true. */
  chores?: boolean;
  choreEveryMs?: Range;
  /** A simulated person (a front-end session named "demo user") sends each agent a task now and then. Default false. */
  user?: boolean;
  userEveryMs?: Range;
  reconnect?: Partial<BackoffOptions>;
  random?: () => number;
  /** Seed 003: the coder reports its context and asks a person before it writes files. Default true. */
  approvals?: boolean;
  /** How often the coder asks on its own (besides during tasks that change code). Default 40–90 s, the first within 15 s. */
  approvalEveryMs?: Range;
  /** How long the hub waits for a person before denying by default. Default 30 s. */
  approvalTimeoutMs?: number;
}

export interface DemoFleet {
  /** The agents' ids (hub-assigned, stable across their reconnects). */
  agents(): string[];
  /** The clients themselves, e.g. to make one crash on purpose. */
  clients(): AgentClient[];
  stop(): Promise<void>;
}

/** Connect the fleet; rejects (after closing whatever did connect) when the hub cannot be reached. */
export async function startDemoFleet(opts: DemoFleetOptions): Promise<DemoFleet> {
  const fleet = new Fleet(opts);
  try {
    await fleet.start();
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return { agents: () => fleet.agentIds(), clients: () => fleet.agentClients(), stop: () => fleet.stop() };
}

class Fleet {
  private readonly logger: Logger;
  private readonly random: () => number;
  private readonly members: { persona: Persona; label: string; client: AgentClient; coder?: DemoCoder }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();
  private user: FrontendClient | undefined;
  private stopped = false;

  constructor(private readonly opts: DemoFleetOptions) {
    this.logger = (opts.logger ?? silentLogger).child('demo');
    this.random = opts.random ?? Math.random;
  }

  agentIds(): string[] {
    return this.members.map((m) => m.client.id).filter((id): id is string => id !== undefined);
  }

  agentClients(): AgentClient[] {
    return this.members.map((m) => m.client);
  }

  async start(): Promise<void> {
    const count = Math.max(1, Math.min(this.opts.count ?? 5, 500));
    for (let i = 0; i < count; i++) {
      const persona = PERSONAS[i % PERSONAS.length]!;
      const round = Math.floor(i / PERSONAS.length);
      const label = round === 0 ? persona.name : `${persona.name}-${round + 1}`;
      const client = new AgentClient({ url: this.opts.url, name: label, logger: this.opts.logger, reconnect: this.opts.reconnect, restoreOnReconnect: true });
      const coder = persona.name === 'coder' && (this.opts.approvals ?? true) ? new DemoCoder(client, label, this.logger, { approvalTimeoutMs: this.opts.approvalTimeoutMs }) : undefined;
      this.members.push({ persona, label, client, coder });
      // back from a crash: the hub's reconstruction says what was still owed
      client.onRestore((r) => client.status(`${label}: back — ${r.unanswered_messages.length} message(s) still owed, ${r.peers_answered.length} peer(s) answered`));
      client.onMessage((m, ctx) => this.handle(persona, label, client, m, ctx.reply, coder));
    }
    await Promise.all(this.members.map((m) => m.client.connect()));
    for (const m of this.members) {
      this.logger.debug(`${m.label} online as ${m.client.id}`);
      if (this.opts.chores ?? true) this.every(this.opts.choreEveryMs ?? [8_000, 20_000], () => this.chore(m.persona, m.client));
      const chaosEvery = chaosEveryMs(this.opts);
      if (chaosEvery) this.every(chaosEvery, () => this.chaos(m.label, m.client));
      const coder = m.coder;
      if (coder) {
        coder.report();
        const ask = (): void => {
          if (!coder.waiting && !m.client.isHung && !m.client.isPaused) void coder.writeFiles('chore: update the changelog', ['CHANGELOG.md']);
        };
        this.once([5_000, 15_000], ask);
        this.every(this.opts.approvalEveryMs ?? [40_000, 90_000], ask);
      }
    }
    if (this.opts.user) await this.startUser();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of this.wakers) wake();
    this.wakers.clear();
    await Promise.all([this.user?.close('demo stopped'), ...this.members.map((m) => m.client.close('demo stopped'))]);
  }

  /** Work on a task in steps. Runs inside the session context AgentClient set up, so status() needs no session id. */
  private async handle(persona: Persona, label: string, client: AgentClient, m: Envelope, reply: (t: string) => Promise<void>, coder?: DemoCoder): Promise<void> {
    if (m.message_type !== 'TEXT') return; // answering REPLY/SYSTEM is how two seed agents ping-pong forever
    const task = (m.text_payload ?? '').slice(0, 200);
    coder?.note('in', task);
    coder?.task(task);
    client.event('task_started', { persona: persona.name, task, from: m.sender_id, steps: persona.steps.length });
    const steps = persona.steps;
    let written = true;
    for (let i = 0; i < steps.length; i++) {
      if (this.stopped) return;
      client.status(`${label}: ${steps[i]}`);
      if (coder && steps[i]!.includes('write_file') && coder.wantsWrite(task)) written = await coder.writeFiles(task, ['src/feature.ts', 'test/feature.test.ts']);
      if (persona.delegate && i === 2 && typeof m.sender_id === 'string' && !m.sender_id.startsWith('agent_')) {
        await this.delegate(persona.delegate, client, task);
      }
      await this.sleep(this.opts.stepDelayMs ?? [300, 900]);
    }
    if (this.stopped) return;
    const answer = coder && !written ? coder.notWritten(task) : persona.answer(task);
    await reply(answer).catch((err: unknown) => this.logger.warn(`${label} could not reply: ${errorMessage(err)}`));
    coder?.note('out', answer);
    coder?.task(null);
    client.event('task_done', { persona: persona.name, task });
  }

  /** Ask a peer for help; the session travels with the TEXT, so the peer's status lines reach the same person. */
  private async delegate(personaName: string, client: AgentClient, task: string): Promise<void> {
    const peer = this.members.find((x) => x.persona.name === personaName && x.client.connected && !x.client.isHung);
    if (!peer?.client.id) return;
    await client.send(peer.client.id, `background for: ${task}`).catch(() => undefined);
  }

  private chore(persona: Persona, client: AgentClient): void {
    if (!client.connected || client.isHung || client.isPaused) return;
    const text = persona.chores[Math.floor(this.random() * persona.chores.length)]!;
    client.status(`${persona.name}: ${text}`);
  }

  private chaos(label: string, client: AgentClient): void {
    if (!client.connected) return;
    if (this.random() < 0.5) {
      const ms = this.opts.silenceMs ?? 25_000;
      this.logger.info(`${label} goes silent for ${Math.round(ms / 1000)} s (chaos)`);
      client.event('chaos', { kind: 'silent', ms });
      client.simulateHang(ms);
    } else {
      const ms = this.pick(this.opts.crashDownMs ?? [4_000, 12_000]);
      this.logger.info(`${label} crashes, back in ${Math.round(ms / 1000)} s (chaos)`);
      client.simulateCrash(ms);
    }
  }

  private async startUser(): Promise<void> {
    const user = new FrontendClient({ url: this.opts.url, name: 'demo user', logger: this.opts.logger, reconnect: this.opts.reconnect });
    this.user = user;
    await user.connect();
    const ask = async (): Promise<void> => {
      const online = this.members.filter((m) => m.client.connected && !m.client.isHung && m.client.id);
      if (online.length === 0 || !user.connected) return;
      const target = online[Math.floor(this.random() * online.length)]!;
      const prompt = target.persona.prompts[Math.floor(this.random() * target.persona.prompts.length)]!;
      const id = await user.send(target.client.id as string, prompt);
      await user.waitForReply(id, 30_000).catch(() => undefined);
    };
    const first = setTimeout(() => {
      this.timers.delete(first);
      void ask().catch(() => undefined);
    }, 1500);
    this.timers.add(first);
    this.every(this.opts.userEveryMs ?? [10_000, 20_000], () => void ask().catch(() => undefined));
  }

  /** Run fn once after a random delay from range, unless stop() comes first. */
  private once(range: Range, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, this.pick(range));
    this.timers.add(t);
  }

  /** Run fn again and again, a random delay from range apart, until stop(). */
  private every(range: Range, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.stopped) return;
      try {
        fn();
      } catch (err) {
        this.logger.warn(`demo task failed: ${errorMessage(err)}`);
      }
      this.every(range, fn);
    }, this.pick(range));
    this.timers.add(t);
  }

  /** A delay that stop() cuts short, so no work is left holding a timer. */
  private sleep(range: Range): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.timers.delete(t);
        this.wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, this.pick(range));
      this.timers.add(t);
      this.wakers.add(wake);
    });
  }

  private pick([min, max]: Range): number {
    return Math.round(min + this.random() * Math.max(0, max - min));
  }
}
