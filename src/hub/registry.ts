// Who is connected: registration of agents, front-ends, brokers and monitors, the id rules (client-chosen ids
// honoured unless a live connection holds them, never a silent takeover), agent records that outlive their socket,
// and sender ids a connection used without registering them.

import type { Connection } from './connection';
import type { Envelope } from '../protocol/schemas';
import type { AgentSnapshot } from '../protocol/logEntry';
import type { AgentPresence, ClientRole } from '../protocol/messageTypes';
import type { ErrorCode } from '../protocol/errors';
import { HUB_USER_ID, ID_PREFIX, MessageType } from '../protocol/messageTypes';
import { newClientId } from '../protocol/ids';

/** Ids no client may take: they mean something to the router. */
const RESERVED_IDS: ReadonlySet<string> = new Set(['server', 'broadcast', 'broker', 'all', HUB_USER_ID]);

export interface AgentRecord {
  agent_id: string;
  agent_name: string;
  namespace: string;
  conn: Connection | undefined;
  paused: boolean;
  /** DEREGISTER_AGENT received: shown offline and not routed to until it registers again. */
  deregistered: boolean;
  /** Last seen while no connection is attached (the connection's own lastSeen is used while it is). */
  lastSeen: number | null;
  connectedAt: number | null;
  messagesIn: number;
  messagesOut: number;
  statusText: string | null;
  /** Chat held while paused, oldest first, bounded by maxHeldPerAgent. */
  held: Envelope[];
  heldDropped: number;
}

export function presenceOf(rec: AgentRecord): AgentPresence {
  if (!rec.conn || rec.deregistered) return 'offline';
  return rec.paused ? 'paused' : 'online';
}

/** Online, not paused, not deregistered: receives broadcasts. */
export function isRoutable(rec: AgentRecord): boolean {
  return presenceOf(rec) === 'online';
}

const REGISTER_ROLES: Record<string, ClientRole> = {
  [MessageType.REGISTER_AGENT]: 'agent',
  [MessageType.REGISTER_FRONTEND]: 'frontend',
  [MessageType.REGISTER_BROKER]: 'broker',
  [MessageType.REGISTER_MONITOR]: 'monitor',
};

const ROLE_INFO: Record<ClientRole, { prefix: string; idField: string; nameField: string; response: string; defaultName: string }> = {
  agent: { prefix: ID_PREFIX.agent, idField: 'agent_id', nameField: 'agent_name', response: MessageType.REGISTER_AGENT_RESPONSE, defaultName: 'agent' },
  frontend: { prefix: ID_PREFIX.frontend, idField: 'frontend_id', nameField: 'frontend_name', response: MessageType.REGISTER_FRONTEND_RESPONSE, defaultName: 'frontend' },
  broker: { prefix: ID_PREFIX.broker, idField: 'broker_id', nameField: 'broker_name', response: MessageType.REGISTER_BROKER_RESPONSE, defaultName: 'broker' },
  monitor: { prefix: ID_PREFIX.monitor, idField: 'monitor_id', nameField: 'monitor_name', response: MessageType.REGISTER_MONITOR_RESPONSE, defaultName: 'monitor' },
};

export function roleOfRegistration(messageType: string): ClientRole | undefined {
  return REGISTER_ROLES[messageType];
}

export type RegisterOutcome =
  | { ok: true; role: ClientRole; id: string; response: Envelope; record?: AgentRecord; again: boolean }
  | { ok: false; code: ErrorCode; text: string; holder?: Connection };

export interface RegistryOptions {
  hubId: string;
  maxOfflineAgents: number;
}

export class Registry {
  readonly agents = new Map<string, AgentRecord>();
  /** Registered, open connections by id (every role). */
  private readonly live = new Map<string, Connection>();
  private readonly aliasOwners = new Map<string, Connection>();
  readonly byRole: Record<ClientRole, Set<Connection>> = {
    agent: new Set(),
    frontend: new Set(),
    broker: new Set(),
    monitor: new Set(),
  };
  /** Front-ends that opted in to copies of all chat (watch_all: true); usually empty. */
  readonly watchers = new Set<Connection>();
  private offlineCount = 0;

  constructor(private readonly opts: RegistryOptions) {}

  /** The open connection known by this id: a registered id first, then an unregistered sender id it used. */
  connection(id: string): Connection | undefined {
    return this.live.get(id) ?? this.aliasOwners.get(id);
  }

  liveCount(): number {
    return this.live.size;
  }

  /** True when the id names something (a live client, an agent record, an alias, a reserved id). */
  isKnownId(id: string): boolean {
    return this.live.has(id) || this.agents.has(id) || this.aliasOwners.has(id) || RESERVED_IDS.has(id);
  }

  /**
   * Lets a connection keep a sender_id it never registered (the early UI's `user_…`), so replies reach it. Only ids
   * nobody else has: a known id is never handed to a second connection.
   */
  bindAlias(conn: Connection, id: string): boolean {
    if (conn.aliases.has(id)) return true;
    if (this.isKnownId(id)) return false;
    if (conn.aliases.size >= 16) return false; // a bound, not a feature: the early UI uses one
    conn.aliases.add(id);
    this.aliasOwners.set(id, conn);
    return true;
  }

  register(conn: Connection, msg: Envelope): RegisterOutcome {
    const role = REGISTER_ROLES[msg.message_type];
    if (!role) return { ok: false, code: 'invalid_message', text: `${msg.message_type} is not a registration.` };
    const info = ROLE_INFO[role];
    const rawName = msg[info.nameField];
    const name = typeof rawName === 'string' && rawName.trim() ? rawName : info.defaultName;
    const rawId = msg[info.idField];
    const requested = typeof rawId === 'string' && rawId.length > 0 ? rawId : undefined;

    if (conn.registered) {
      if (conn.role !== role) {
        const both = conn.peer ? `${conn.role} ${conn.id} and ${conn.peer.role} ${conn.peer.id}` : `${conn.role} ${conn.id}`;
        return { ok: false, code: 'already_registered', text: `This connection is already registered as ${both}; open a new connection for a ${role}.` };
      }
      if (requested !== undefined && requested !== conn.id) {
        return { ok: false, code: 'already_registered', text: `This connection is already registered as ${conn.id}; it cannot change its id to ${requested}.` };
      }
      // Registering again on the same connection (REREGISTER_AGENT, a retry): same id, fresh response.
      conn.name = name;
      if (role === 'frontend') this.setWatch(conn, msg);
      const record = role === 'agent' ? this.attachAgent(conn, conn.id, name, msg) : undefined;
      return { ok: true, role, id: conn.id, response: this.response(role, conn.id, name, true), record, again: true };
    }

    let id: string;
    if (requested !== undefined) {
      if (RESERVED_IDS.has(requested)) return { ok: false, code: 'invalid_message', text: `The id "${requested}" is reserved; choose another or omit ${info.idField}.` };
      const holder = this.live.get(requested) ?? this.aliasOwners.get(requested);
      if (holder && holder !== conn) {
        return {
          ok: false,
          code: 'id_in_use',
          text: `The id "${requested}" is held by a live connection; close that one first or register without ${info.idField}. If that connection is gone, the hub notices within seconds: retry then.`,
          holder,
        };
      }
      if (role !== 'agent' && this.agents.has(requested)) {
        return { ok: false, code: 'id_in_use', text: `The id "${requested}" belongs to an agent.` };
      }
      id = requested;
    } else {
      do id = newClientId(info.prefix);
      while (this.isKnownId(id));
    }

    conn.id = id;
    conn.role = role;
    conn.name = name;
    if (typeof msg.namespace === 'string' && msg.namespace) conn.namespace = msg.namespace;
    if (conn.aliases.has(id)) {
      conn.aliases.delete(id);
      this.aliasOwners.delete(id);
    }
    this.live.set(id, conn);
    this.byRole[role].add(conn);
    if (role === 'frontend') this.setWatch(conn, msg);
    const record = role === 'agent' ? this.attachAgent(conn, id, name, msg) : undefined;
    return { ok: true, role, id, response: this.response(role, id, name, false), record, again: false };
  }

  /** The connection closed: forget it; its agent record (if any) goes offline and is returned. */
  release(conn: Connection): AgentRecord | undefined {
    for (const a of conn.aliases) if (this.aliasOwners.get(a) === conn) this.aliasOwners.delete(a);
    if (!conn.role) return undefined;
    if (this.live.get(conn.id) === conn) this.live.delete(conn.id);
    this.byRole[conn.role].delete(conn);
    this.watchers.delete(conn);
    if (conn.role !== 'agent') return undefined;
    const rec = this.agents.get(conn.id);
    if (!rec || rec.conn !== conn) return undefined;
    rec.conn = undefined;
    rec.lastSeen = conn.lastSeen;
    this.offlineCount++;
    this.evictOffline();
    return rec;
  }

  snapshot(rec: AgentRecord): AgentSnapshot {
    const presence = presenceOf(rec);
    const lastSeen = rec.conn ? rec.conn.lastSeen : rec.lastSeen;
    const snap: AgentSnapshot = {
      agent_id: rec.agent_id,
      agent_name: rec.agent_name,
      status: presence,
      is_online: presence !== 'offline',
      last_seen: lastSeen === null ? null : new Date(lastSeen).toISOString(),
      connected_at: rec.connectedAt === null ? null : new Date(rec.connectedAt).toISOString(),
      namespace: rec.namespace,
      hub_id: this.opts.hubId,
      messages_in: rec.messagesIn,
      messages_out: rec.messagesOut,
      last_status_text: rec.statusText,
      held_messages: rec.held.length,
    };
    if (rec.conn) snap.remote_address = rec.conn.remoteAddress;
    return snap;
  }

  snapshots(ids?: Iterable<string>): AgentSnapshot[] {
    const out: AgentSnapshot[] = [];
    if (ids === undefined) {
      for (const rec of this.agents.values()) out.push(this.snapshot(rec));
      return out;
    }
    for (const id of ids) {
      const rec = this.agents.get(id);
      if (rec) out.push(this.snapshot(rec));
    }
    return out;
  }

  private setWatch(conn: Connection, msg: Envelope): void {
    conn.watchAll = msg.watch_all === true;
    if (conn.watchAll) this.watchers.add(conn);
    else this.watchers.delete(conn);
  }

  private attachAgent(conn: Connection, id: string, name: string, msg: Envelope): AgentRecord {
    const now = Date.now();
    let rec = this.agents.get(id);
    if (!rec) {
      rec = {
        agent_id: id,
        agent_name: name,
        namespace: conn.namespace,
        conn,
        paused: false,
        deregistered: false,
        lastSeen: now,
        connectedAt: now,
        messagesIn: 0,
        messagesOut: 0,
        statusText: null,
        held: [],
        heldDropped: 0,
      };
      this.agents.set(id, rec);
    } else {
      if (!rec.conn) this.offlineCount = Math.max(0, this.offlineCount - 1);
      if (rec.conn !== conn) rec.connectedAt = now;
      rec.conn = conn;
      rec.agent_name = name;
      rec.deregistered = false; // paused survives a reconnect: a person paused it on purpose
      if (typeof msg.namespace === 'string' && msg.namespace) rec.namespace = msg.namespace;
    }
    conn.lastSeen = now;
    return rec;
  }

  private evictOffline(): void {
    if (this.offlineCount <= this.opts.maxOfflineAgents) return;
    for (const [id, rec] of this.agents) {
      if (this.offlineCount <= this.opts.maxOfflineAgents) break;
      if (!rec.conn) {
        this.agents.delete(id);
        this.offlineCount--;
      }
    }
  }

  private response(role: ClientRole, id: string, name: string, again: boolean): Envelope {
    const info = ROLE_INFO[role];
    const frame: Envelope = {
      message_type: info.response,
      status: 'success',
      [info.idField]: id,
      [info.nameField]: name,
      message: again ? `Registered again as ${id}.` : `Registered ${role} ${id}.`,
    };
    if (role === 'monitor') frame.hub_id = this.opts.hubId;
    if (role === 'agent') frame.agent_name = name;
    return frame;
  }
}
