// The hub and its bus → tree rows: kind, state, url, reconnects and message rates sampled once a second.

import type { ConnectionInfo, TransportView } from './hubConnection';
import type { IconModel, TreeItemModel } from './treeItemModel';

const STATE_ICON: Readonly<Record<TransportView['state'], IconModel>> = {
  up: { id: 'pass', color: 'charts.green' },
  connecting: { id: 'sync', color: 'charts.yellow' },
  down: { id: 'error', color: 'charts.red' },
};

export interface Rates {
  publishedPerSec: number;
  receivedPerSec: number;
}

/** Turns cumulative counters into per-second rates between two samples; the first sample yields zero. */
export class RateTracker {
  private last: { at: number; published: number; received: number } | undefined;
  private rates: Rates = { publishedPerSec: 0, receivedPerSec: 0 };

  sample(t: Pick<TransportView, 'published' | 'received'>, nowMs: number): Rates {
    const prev = this.last;
    if (prev && nowMs > prev.at) {
      const dt = (nowMs - prev.at) / 1000;
      // counters restart with a new hub: treat a drop as a fresh start rather than a negative rate
      this.rates = {
        publishedPerSec: Math.max(0, t.published - prev.published) / dt,
        receivedPerSec: Math.max(0, t.received - prev.received) / dt,
      };
    }
    this.last = { at: nowMs, published: t.published, received: t.received };
    return this.rates;
  }

  current(): Rates {
    return this.rates;
  }

  reset(): void {
    this.last = undefined;
    this.rates = { publishedPerSec: 0, receivedPerSec: 0 };
  }
}

function fmtRate(n: number): string {
  return n >= 100 ? `${Math.round(n)}/s` : `${n.toFixed(1)}/s`;
}

export function hubItem(info: ConnectionInfo | undefined): TreeItemModel {
  if (!info) {
    return {
      id: 'hub',
      label: 'Hub',
      description: 'stopped',
      tooltip: 'No hub in this window. Run "Switchboard: Start Hub".',
      icon: { id: 'circle-slash', color: 'disabledForeground' },
      contextValue: 'hub.stopped',
      collapsible: 'none',
    };
  }
  const where = `${info.host}:${info.port}`;
  const mode = info.mode === 'local' ? 'in this window' : `attached${info.ownerPid ? ` to pid ${info.ownerPid}` : ''}`;
  const up = info.state === 'running';
  return {
    id: 'hub',
    label: `Hub ${info.hubId || ''}`.trim(),
    description: `${info.state} · ${where} · ${mode}`,
    tooltip: [
      `hub: ${info.hubId || 'unknown'}`,
      `state: ${info.state}`,
      `address: ${where}`,
      info.mode === 'local'
        ? 'runs in this VS Code window'
        : `owned by another window${info.ownerPid ? ` (pid ${info.ownerPid})` : ''}; this window watches it as a monitor`,
    ].join('\n'),
    icon: up
      ? { id: 'radio-tower', color: 'charts.green' }
      : info.state === 'disconnected' || info.state === 'stopped'
        ? { id: 'debug-disconnect', color: 'charts.red' }
        : { id: 'loading~spin', color: 'charts.yellow' },
    contextValue: `hub.${info.mode}.${info.state}`,
    collapsible: 'none',
  };
}

export function busItem(t: TransportView): TreeItemModel {
  const label = t.kind === 'remote' ? 'Bus of the owning window' : `${t.kind} bus`;
  return {
    id: 'bus',
    label,
    description: t.state,
    tooltip: [
      `kind: ${t.kind}`,
      `state: ${t.state}`,
      t.url ? `url: ${t.url}` : undefined,
      t.lastError ? `last error: ${t.lastError}` : undefined,
    ]
      .filter((l): l is string => l !== undefined)
      .join('\n'),
    icon: STATE_ICON[t.state],
    contextValue: `bus.${t.kind}.${t.state}`,
    collapsible: 'expanded',
  };
}

/** The bus row's children: one fact per row so they read well in a narrow side bar. */
export function busDetailItems(t: TransportView, rates: Rates): TreeItemModel[] {
  const row = (key: string, label: string, description: string, icon: string): TreeItemModel => ({
    id: `bus:${key}`,
    label,
    description,
    icon: { id: icon },
    contextValue: `bus.detail.${key}`,
    collapsible: 'none',
  });
  const rows = [
    row('url', 'url', t.url || '—', 'link'),
    row('state', 'state', t.state + (t.lastError ? ` (${t.lastError})` : ''), 'pulse'),
    row('reconnects', 'reconnects', String(t.reconnectAttempt), 'debug-restart'),
  ];
  if (t.kind !== 'remote') {
    rows.push(
      row('published', 'published', `${t.published} · ${fmtRate(rates.publishedPerSec)}`, 'arrow-up'),
      row('received', 'received', `${t.received} · ${fmtRate(rates.receivedPerSec)}`, 'arrow-down'),
    );
  }
  return rows;
}
