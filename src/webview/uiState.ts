// The UI state kept across hide/show and reloads (filters, selection, pause, open pane): one shape for both hosts'
// storage, parsed defensively because it comes back from storage we do not control.

import { parseFilter, EMPTY_FILTER, type FilterState } from '../protocol/filter';

export type DetailTab = 'message' | 'thread' | 'agent';

export interface UiState {
  version: 1;
  filter: FilterState;
  paused: boolean;
  selectedSeq: number | null;
  detailTab: DetailTab;
  /** The agent whose detail pane is open. */
  agentId: string | null;
  detailOpen: boolean;
  /** Whether the table sticks to the newest row. */
  follow: boolean;
  /** The detail pane's width in px once someone resized it. */
  detailWidth: number | null;
  /** Whether the Reconstruction pane was the view on screen (a reloaded webview comes back to it). */
  reconstructionOpen: boolean;
}

export const INITIAL_UI_STATE: Readonly<UiState> = Object.freeze({
  version: 1,
  filter: { ...EMPTY_FILTER },
  paused: false,
  selectedSeq: null,
  detailTab: 'message',
  agentId: null,
  detailOpen: false,
  follow: true,
  detailWidth: null,
  reconstructionOpen: false,
});

const TABS: ReadonlySet<string> = new Set<DetailTab>(['message', 'thread', 'agent']);

export function parseUiState(v: unknown): UiState {
  if (typeof v !== 'object' || v === null) return { ...INITIAL_UI_STATE, filter: { ...EMPTY_FILTER } };
  const r = v as Record<string, unknown>;
  return {
    version: 1,
    filter: parseFilter(r.filter),
    paused: r.paused === true,
    selectedSeq: typeof r.selectedSeq === 'number' && Number.isFinite(r.selectedSeq) ? r.selectedSeq : null,
    detailTab: typeof r.detailTab === 'string' && TABS.has(r.detailTab) ? (r.detailTab as DetailTab) : 'message',
    agentId: typeof r.agentId === 'string' ? r.agentId.slice(0, 256) : null,
    detailOpen: r.detailOpen === true,
    follow: r.follow !== false,
    detailWidth: typeof r.detailWidth === 'number' && r.detailWidth >= 100 && r.detailWidth <= 10_000 ? Math.round(r.detailWidth) : null,
    reconstructionOpen: r.reconstructionOpen === true,
  };
}
