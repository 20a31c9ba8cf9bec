// The Topics view (seed 004): namespaces → topics with message count, rate and subscribers, read from the hub this
// window runs (hub.topics sees every namespace) or, in a window attached to another window's hub, asked of that hub
// with TOPICS over the monitor socket (a monitor sees every namespace).

import type { TopicStats } from '../hub/topics/topicsFamily';
import type { HubManager } from './model/hubManager';
import type { HubConnection } from './model/hubConnection';
import type { MonitorClient } from '../sdk/monitorClient';
import { localTopicStats, remoteTopicStats, topicTree, type TopicStatsSource } from './model/topicViewModel';
import { CachedTreeProvider, type TreeNode } from './treeItems';

interface TopicsNode extends TreeNode {
  readonly namespace?: string;
  readonly topic?: string;
}

/** The once-a-second counts redraw only the rows whose numbers changed, not the view (CachedTreeProvider). */
export class TopicsTreeProvider extends CachedTreeProvider<TopicsNode> {
  private stats: TopicStats[] = [];
  private loading = false;
  private loadedOnce = false;
  /** Why the last read failed (an attached window's hub that does not know TOPICS, a timeout); shown in the view. */
  private problem: string | undefined;
  /** The source for the current connection (made again when the connection is replaced). */
  private source: { conn: HubConnection | undefined; hub: unknown; read: TopicStatsSource | undefined } | undefined;

  constructor(manager: HubManager) {
    super(manager, new Set(['state']));
  }

  /** The 1 s tick keeps counts and rates current while the view is visible. */
  protected override tickEnabled(): boolean {
    return true;
  }

  protected override needsTick(): boolean {
    void this.load();
    return false; // load() refreshes when the numbers arrive
  }

  /** Reads the hub's topic stats now and redraws (the tick and the Publish command call it). */
  async load(): Promise<void> {
    const read = this.currentSource();
    if (!read || this.loading) return;
    this.loading = true;
    try {
      this.stats = await read();
      this.loadedOnce = true;
      if (this.problem !== undefined) this.problem = undefined;
      this.refresh();
    } catch (err) {
      this.stats = []; // the hub is stopping (or the other window's hub did not answer): the next tick tries again
      if (!this.manager.hub) {
        const text = err instanceof Error ? err.message : String(err);
        if (text !== this.problem) {
          this.problem = text;
          this.refresh();
        }
      }
    } finally {
      this.loading = false;
    }
  }

  /** The hub this window runs, else the attached window's monitor socket; undefined without either. */
  private currentSource(): TopicStatsSource | undefined {
    const hub = this.manager.hub;
    const conn = this.manager.connection;
    if (this.source && this.source.conn === conn && this.source.hub === hub) return this.source.read;
    let read: TopicStatsSource | undefined;
    if (hub?.topics) read = localTopicStats(hub.topics);
    else if (conn?.mode === 'attached') {
      const client = (conn as HubConnection & { streamClient?: MonitorClient }).streamClient;
      if (client) read = remoteTopicStats(client);
    }
    if (this.source?.conn !== conn) this.loadedOnce = false;
    this.source = { conn, hub, read };
    return read;
  }

  protected childrenOf(node?: TopicsNode): TopicsNode[] | undefined {
    if (node) {
      if (node.topic !== undefined || node.namespace === undefined) return [];
      const ns = topicTree(this.stats).find((n) => n.namespace === node.namespace);
      return ns?.topics.map((model) => ({ model, namespace: ns.namespace, topic: model.label }));
    }
    if (!this.currentSource()) {
      if (!this.manager.connection) return [];
      return [{ model: { id: 'topics:attached', label: 'Topics are shown in the window that runs the hub', icon: { id: 'info' }, collapsible: 'none' } }];
    }
    if (!this.loadedOnce) void this.load(); // afterwards the tick reloads while the view is visible
    if (this.problem !== undefined && this.stats.length === 0) {
      return [{ model: { id: 'topics:problem', label: 'The hub did not list its topics', description: this.problem, tooltip: this.problem, icon: { id: 'warning' }, collapsible: 'none' } }];
    }
    return topicTree(this.stats).map((ns) => ({ model: ns.model, namespace: ns.namespace }));
  }
}
