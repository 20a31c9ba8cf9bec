// A @grpc/grpc-js client of the seed's third-generation services, as the seed's agents and broker call them: unary
// calls as promises, the two server streams as recorders a test can wait on (no sleeps).

import * as grpc from '@grpc/grpc-js';
import { seedServices } from '../../src/hub/grpc/seedGrpcServer';

type Msg = Record<string, unknown>;

/** The messages of one server stream, and a way to wait for the one a test expects. */
export class StreamRecorder {
  readonly items: Msg[] = [];
  ended = false;
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];

  constructor(readonly call: grpc.ClientReadableStream<Msg>) {
    call.on('data', (m: Msg) => {
      this.items.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    call.on('end', () => (this.ended = true));
    call.on('error', () => (this.ended = true));
  }

  waitFor(pred: (m: Msg) => boolean, timeoutMs = 5000, what = 'a stream message'): Promise<Msg> {
    const found = this.items.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (m: Msg) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.items)}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  cancel(): void {
    this.call.cancel();
  }
}

export class SeedGrpcClient {
  private readonly clients: grpc.Client[];
  private readonly reg: grpc.Client;
  private readonly status: grpc.Client;
  private readonly broker: grpc.Client;

  constructor(port: number, host = '127.0.0.1') {
    const s = seedServices();
    const address = `${host}:${port}`;
    const make = (def: grpc.ServiceDefinition): grpc.Client => new (grpc.makeGenericClientConstructor(def, ''))(address, grpc.credentials.createInsecure());
    this.reg = make(s.agentRegistration);
    this.status = make(s.agentStatus);
    this.broker = make(s.brokerRegistration);
    this.clients = [this.reg, this.status, this.broker];
  }

  private unary(client: grpc.Client, rpc: string, req: Msg): Promise<Msg> {
    const fn = (client as unknown as Record<string, (r: Msg, cb: (e: grpc.ServiceError | null, res: Msg) => void) => void>)[rpc]!;
    return new Promise((resolve, reject) => fn.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
  }

  private stream(client: grpc.Client, rpc: string, req: Msg): StreamRecorder {
    const fn = (client as unknown as Record<string, (r: Msg) => grpc.ClientReadableStream<Msg>>)[rpc]!;
    return new StreamRecorder(fn.call(client, req));
  }

  registerAgent(req: Msg): Promise<Msg> {
    return this.unary(this.reg, 'RegisterAgent', req);
  }
  unregisterAgent(agentId: string): Promise<Msg> {
    return this.unary(this.reg, 'UnregisterAgent', { agent_id: agentId });
  }
  heartbeat(req: Msg): Promise<Msg> {
    return this.unary(this.reg, 'SendHeartbeat', req);
  }
  commands(agentId: string): StreamRecorder {
    return this.stream(this.reg, 'ReceiveCommands', { agent_id: agentId });
  }
  commandResult(req: Msg): Promise<Msg> {
    return this.unary(this.reg, 'SendCommandResult', req);
  }
  sendStatus(agent: Msg): Promise<Msg> {
    return this.unary(this.status, 'SendAgentStatus', { agent });
  }
  getStatus(brokerId = ''): Promise<Msg> {
    return this.unary(this.status, 'GetAgentStatus', { broker_id: brokerId });
  }
  subscribeStatus(brokerId: string): StreamRecorder {
    return this.stream(this.status, 'SubscribeToAgentStatus', { broker_id: brokerId });
  }
  registerBroker(brokerId: string, brokerName: string): Promise<Msg> {
    return this.unary(this.broker, 'RegisterBroker', { broker_id: brokerId, broker_name: brokerName });
  }

  close(): void {
    for (const c of this.clients) c.close();
  }
}

/** An AgentStatusResponse's entry for this agent, if listed. */
export function agentInfo(update: Msg, agentId: string): { agent_id: string; agent_name: string; metrics: Record<string, string> } | undefined {
  const agents = (update.agents ?? []) as { agent_id: string; agent_name: string; metrics: Record<string, string> }[];
  return agents.find((a) => a.agent_id === agentId);
}
