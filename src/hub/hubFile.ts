// The hub file: how a second VS Code window (or the CLI) finds the hub this window owns and the token to reach it.
//
// Location: ~/.agent-switchboard/hub-<configured port>.json (SWITCHBOARD_HUB_FILE_DIR overrides the folder).
// Why not the extension's globalStorageUri: that folder is per product and per user-data-dir, so VS Code Stable,
// Insiders, code-server and the `switchboard` CLI of the same person would each look in a different place and start
// rival hubs. The home folder is the one per-user location they all share. The folder is created 0700 and the file
// written 0600 (then renamed into place), so only this user can read the token. One file per configured port,
// because "one hub per machine" really means one hub per configured port.

import { readEnv } from '../protocol/envOptions';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HUB_PORT } from '../protocol/messageTypes';

export interface HubRecord {
  /** The port the hub actually listens on (differs from the configured one only after a port fallback). */
  port: number;
  host: string;
  token: string;
  /** Process that owns the hub (the extension host of the owning window, or a `switchboard hub` process). */
  pid: number;
  hubId: string;
  startedAt: string;
}

export function defaultHubFileDir(env: NodeJS.ProcessEnv = process.env): string {
  return readEnv(env, ['hubFileDir']).hubFileDir || join(homedir(), '.agent-switchboard');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates what was read from disk: another process (or a person) may have written anything there. */
export function parseHubRecord(text: string): HubRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(v)) return undefined;
  const { port, host, token, pid, hubId, startedAt } = v;
  if (typeof port !== 'number' || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  if (typeof host !== 'string' || typeof token !== 'string' || typeof hubId !== 'string') return undefined;
  if (typeof pid !== 'number' || !Number.isInteger(pid)) return undefined;
  return { port, host, token, pid, hubId, startedAt: typeof startedAt === 'string' ? startedAt : '' };
}

export class HubFile {
  constructor(
    readonly dir: string,
    readonly configuredPort: number,
  ) {}

  get path(): string {
    return join(this.dir, `hub-${this.configuredPort}.json`);
  }

  async read(): Promise<HubRecord | undefined> {
    try {
      return parseHubRecord(await readFile(this.path, 'utf8'));
    } catch {
      return undefined;
    }
  }

  async write(record: HubRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(record, null, 2) + '\n', { mode: 0o600 });
    // writeFile's mode is masked by umask and ignored when the file exists: make 0600 certain
    await chmod(tmp, 0o600);
    await rename(tmp, this.path);
  }

  /** Removes the file only if it still describes our hub, so a window never deletes another window's record. */
  async removeIfOwned(hubId: string): Promise<boolean> {
    const rec = await this.read();
    if (!rec || rec.hubId !== hubId) return false;
    await rm(this.path, { force: true });
    return true;
  }
}

/** Whether a process with this id exists (EPERM: it does, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The agent URL of the hub this user runs for a configured port, read from its hub file, or undefined when there is
 * no file, it is garbage, or its process is gone. Synchronous: command-line parsing needs it before anything starts.
 */
export function agentUrlFromHubFile(port = DEFAULT_HUB_PORT, dir = defaultHubFileDir()): string | undefined {
  let rec: HubRecord | undefined;
  try {
    rec = parseHubRecord(readFileSync(new HubFile(dir, port).path, 'utf8'));
  } catch {
    return undefined;
  }
  if (!rec || !processAlive(rec.pid)) return undefined;
  const host = rec.host.includes(':') ? `[${rec.host}]` : rec.host;
  return `ws://${host}:${rec.port}/ws?token=${encodeURIComponent(rec.token)}`;
}
