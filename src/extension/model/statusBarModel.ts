// The status bar item's text, tooltip and click action as plain data.

import type { ConnectionInfo } from './hubConnection';
import type { AgentCounts } from './agentViewModel';

export interface StatusBarModel {
  text: string;
  tooltip: string;
  /** 'monitor' opens the monitor; 'start' starts the hub. */
  action: 'monitor' | 'start';
  /** Theme colour id for the background when something needs attention. */
  background?: string;
}

export function statusBarModel(info: ConnectionInfo | undefined, counts: AgentCounts, busy?: string): StatusBarModel {
  if (busy) return { text: `$(loading~spin) Switchboard: ${busy}`, tooltip: `Agent Switchboard: ${busy}`, action: 'monitor' };
  if (!info || info.state === 'stopped') {
    return {
      text: '$(circle-slash) Switchboard: stopped',
      tooltip: 'Agent Switchboard hub is stopped. Click to start it.',
      action: 'start',
    };
  }
  const agents = `${counts.online} agent${counts.online === 1 ? '' : 's'}`;
  const where = `${info.host}:${info.port}`;
  const mode = info.mode === 'attached' ? ' (attached)' : '';
  if (info.state === 'running') {
    return {
      text: `$(radio-tower) ${agents}${mode}`,
      tooltip:
        `Agent Switchboard hub ${info.hubId} running at ${where}${mode}\n` +
        `${counts.online} online, ${counts.paused} paused, ${counts.offline} offline\nClick to open the monitor.`,
      action: 'monitor',
    };
  }
  if (info.state === 'disconnected') {
    return {
      text: `$(debug-disconnect) Switchboard: disconnected`,
      tooltip: `Lost the hub at ${where}. Reconnecting… (or run "Switchboard: Restart Hub")`,
      action: 'start',
      background: 'statusBarItem.warningBackground',
    };
  }
  return { text: `$(loading~spin) Switchboard: ${info.state}`, tooltip: `Agent Switchboard hub ${info.state} at ${where}`, action: 'monitor' };
}
