// What a plugin adds to the hub-to-hub presence (busBridge.ts) without the bridge knowing it: fields announced with
// every presence of this hub, and a look at every presence from another hub before this hub answers it. Keyed by the
// HubPort, so a family registers when it attaches and the bridge (made later, at start) finds it.

import type { Envelope } from '../protocol/schemas';

export interface PresenceExtension {
  /** Fields added to each presence this hub announces (the bridge's own fields win on a clash). */
  fields(): Record<string, unknown>;
  /** A presence from another hub (also its `leaving` one), before this hub answers it. */
  heard?(hubId: string, frame: Envelope): void;
}

const extensions = new WeakMap<object, Set<PresenceExtension>>();

/** Registers an extension for the hub behind `port`; returns its removal. */
export function extendPresence(port: object, ext: PresenceExtension): () => void {
  let set = extensions.get(port);
  if (!set) extensions.set(port, (set = new Set()));
  set.add(ext);
  return () => void set.delete(ext);
}

export function presenceFields(port: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const e of extensions.get(port) ?? []) Object.assign(out, e.fields());
  return out;
}

export function presenceHeard(port: object, hubId: string, frame: Envelope): void {
  for (const e of extensions.get(port) ?? []) e.heard?.(hubId, frame);
}
