// Types for codeServer.mjs, so the TypeScript e2e tests can drive code-server with the same plumbing as the runner.
import type { BrowserContext } from 'playwright-core';

export const repoRoot: string;
export const CODE_SERVER_VERSION: string;
export const CHROMIUM: string;
export const CHROMIUM_ARGS: string[];
export interface CodeServer {
  port: number;
  /** http://127.0.0.1:PORT */
  base: string;
  pgid: number;
  stop(): Promise<void>;
  output(): string;
}
export function ensureCodeServer(): string;
export function makeRunDir(label: string): string;
export function pruneOldRunDirs(maxAgeMs?: number): void;
export function freePort(): Promise<number>;
export function startCodeServer(opts: {
  runDir: string;
  settings?: Record<string, unknown>;
  /** Added to the environment code-server and its extension hosts inherit. */
  env?: Record<string, string>;
  log?: (line: string) => void;
  startTimeoutMs?: number;
}): Promise<CodeServer>;
export function workbenchUrl(
  server: CodeServer,
  opts: { folder: string; extensionDevelopmentPath: string; extensionTestsPath?: string; env?: Record<string, string> },
): string;
export function launchChromium(profileDir: string, opts?: { viewport?: { width: number; height: number } }): Promise<BrowserContext>;
export function descendantsRssMb(rootPid?: number): number;
export function sampleMemory(intervalMs?: number): { stop(): number };
