// Every id the manifest and the code share — commands, views, context keys, settings — declared once.

export const EXTENSION_ID = 'agent-switchboard.agent-switchboard';

export const Commands = {
  startHub: 'switchboard.hub.start',
  stopHub: 'switchboard.hub.stop',
  restartHub: 'switchboard.hub.restart',
  openMonitor: 'switchboard.openMonitor',
  openMonitorInBrowser: 'switchboard.openMonitorInBrowser',
  sendMessage: 'switchboard.sendMessage',
  broadcast: 'switchboard.broadcast',
  pauseAgent: 'switchboard.pauseAgent',
  resumeAgent: 'switchboard.resumeAgent',
  deregisterAgent: 'switchboard.deregisterAgent',
  copyAgentId: 'switchboard.copyAgentId',
  revealInMonitor: 'switchboard.revealInMonitor',
  startDemo: 'switchboard.demo.start',
  stopDemo: 'switchboard.demo.stop',
  copyAgentUrl: 'switchboard.copyAgentUrl',
  /** () → the /monitor?token=… URL of the hub, copied for a browser (forwarded in remote windows) */
  copyMonitorUrl: 'switchboard.copyMonitorUrl',
  exportLog: 'switchboard.exportLog',
  clearLog: 'switchboard.clearLog',
  setToken: 'switchboard.setToken',
  showOutput: 'switchboard.showOutput',
  openDocs: 'switchboard.openDocs',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

/** The context-reconstruction commands, registered by reconstructCommand.ts (not commands.ts). */
export const ReconstructCommands = {
  /** (agentId? | tree row, { timeoutMs?, threadId?, show? }?) → ReconstructionT */
  reconstructAgent: 'switchboard.reconstructAgent',
  /** (result?, agentId?) → boolean; the last result by default */
  handOverReconstruction: 'switchboard.handOverReconstruction',
  /** (result?) → { ok, model?, text?, message? }; the last result by default */
  summariseReconstruction: 'switchboard.summariseReconstruction',
} as const;

/** Seed 004 topic commands, registered by topicsCommands.ts. */
export const TopicCommands = {
  /** (args?: { namespace?, topic?, payload? }) → the stored message, or undefined when cancelled */
  publishToTopic: 'switchboard.publishToTopic',
} as const;

export const Views = {
  container: 'switchboard',
  agents: 'switchboard.agents',
  sessions: 'switchboard.sessions',
  transports: 'switchboard.transports',
  topics: 'switchboard.topics',
} as const;

/** Context keys set with `setContext`, used in `when` and `enablement` clauses of the manifest. */
export const ContextKeys = {
  /** 'stopped' | 'starting' | 'running' | 'stopping' | 'disconnected' */
  hubState: 'switchboard.hubState',
  /** 'local' | 'attached' | 'none' */
  hubMode: 'switchboard.hubMode',
  hasAgents: 'switchboard.hasAgents',
  demoRunning: 'switchboard.demoRunning',
} as const;

export const Settings = {
  section: 'switchboard',
  host: 'hub.host',
  port: 'hub.port',
  autoStart: 'hub.autoStart',
  token: 'hub.token',
  pingInterval: 'hub.pingInterval',
  inactivityTimeout: 'hub.inactivityTimeout',
  heartbeatInterval: 'hub.heartbeatInterval',
  seedCompat: 'hub.seedCompat',
  grpcPort: 'hub.grpcPort',
  logRingSize: 'log.ringSize',
  logFolder: 'log.folder',
  transportKind: 'transport.kind',
  rabbitmqUrl: 'transport.rabbitmqUrl',
  kafkaBrokers: 'transport.kafkaBrokers',
  demoCount: 'demo.count',
  reconstructionOffer: 'reconstruction.offerWhenAgentDrops',
  topicStore: 'hub.topicStore',
} as const;

/** SecretStorage key of a token the person chose (the setting is only a way to enter it). */
export const TOKEN_SECRET_KEY = 'switchboard.hub.token';

export const OUTPUT_CHANNEL_NAME = 'Agent Switchboard';

/** Quiet window before a tree refresh: bursts of hub events become one refresh. */
export const TREE_REFRESH_DEBOUNCE_MS = 150;

/** Seed 003 tool approvals, registered by approvals.ts (not commands.ts). */
export const ApprovalCommands = {
  /** (approvalId? | approval tree row, note?) → boolean: true when decided, false when the pick was dismissed */
  approveToolCall: 'switchboard.approveToolCall',
  /** (approvalId? | approval tree row, note?) → boolean */
  denyToolCall: 'switchboard.denyToolCall',
} as const;

/** The Debug Agents commands (issue 20), registered by debug/debugAgents.ts. */
export const DebugCommands = {
  holdMessagesMatching: 'switchboard.debug.holdMessagesMatching',
  replaySession: 'switchboard.debug.replaySession',
} as const;
