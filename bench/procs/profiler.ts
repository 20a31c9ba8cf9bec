// The inspector session of a bench process, for profiles of itself (CPU or heap), written to bench/results/prof/.

import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector';

let session: Session | undefined;

/** One inspector call (the session is opened on first use). */
export function post(method: string, params?: object): Promise<unknown> {
  if (!session) {
    session = new Session();
    session.connect();
  }
  return new Promise((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
}

/** Writes a profile as bench/results/prof/<name>; returns the path. */
export function writeProfile(name: string, profile: unknown): string {
  const dir = join(__dirname, '..', 'results', 'prof');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

export function closeProfiler(): void {
  session?.disconnect();
  session = undefined;
}
