// The Topics view (seed 004): namespaces → topics with message count, rate and subscribers, read from the hub this
// window runs (hub.topics sees every namespace). A window attached to another window's hub shows a hint instead.

import type { TopicStats } from '../hub/topics/topicsFamily';
import type { HubManager } from './model/hubManager';
import { topicTree } from './model/topicViewModel';
import { SwitchboardTreeProvider, type TreeNode } from './treeItems';

interface TopicsNode extends TreeNode {
  readonly namespace?: string;
  readonly topic?: string;
  readonly children?: TreeNode[];
}

export class TopicsTreeProvider extends SwitchboardTreeProvider {
  private stats: TopicStats[] = [];
  private loading = false;
  private loadedOnce = false;

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
    const topics = this.manager.hub?.topics;
    if (!topics || this.loading) return;
    this.loading = true;
    try {
      this.stats = await topics.stats();
      this.loadedOnce = true;
      this.refresh();
    } catch {
      this.stats = []; // the hub is stopping: the next tick tries again
    } finally {
      this.loading = false;
    }
  }

  getChildren(node?: TopicsNode): TopicsNode[] {
    if (node) return (node.children as TopicsNode[] | undefined) ?? [];
    if (!this.manager.hub?.topics) {
      if (!this.manager.connection) return [];
      return [{ model: { id: 'topics:attached', label: 'Topics are shown in the window that runs the hub', icon: { id: 'info' }, collapsible: 'none' } }];
    }
    if (!this.loadedOnce) void this.load(); // afterwards the tick reloads while the view is visible
    return topicTree(this.stats).map((ns) => ({
      model: ns.model,
      namespace: ns.namespace,
      children: ns.topics.map((model) => ({ model, namespace: ns.namespace, topic: model.label })),
    }));
  }
}
