// The entry of the bundled SDK (esbuild: src/sdk/sdkBundle.ts → dist/sdk/index.js), so a plain Node program can
// `require`/`import` every client from one file. Its re-exports are the one exception to the project's no-barrel
// rule: code inside this repository imports each module directly. Kept apart from agentClient.ts so that no SDK
// module imports another that imports it back (demoFleet → agentClient was a cycle while agentClient was the entry).

export { AgentClient } from './agentClient';
export type { AgentClientOptions, MessageContext } from './agentClient';
export { withSession, currentSession } from './session';
export { FrontendClient } from './frontendClient';
export { MonitorClient } from './monitorClient';
export { BrokerClient } from './brokerClient';
export { startDemoFleet } from './demoFleet';
export { SwitchboardError } from '../protocol/errors';
export { watchAgentStreams, decideApproval, AgentStreamStates } from './agentStreamWatcher';
export type { StreamUpdate } from './agentStreamWatcher';
export type { ApprovalOptions, ApprovalOutcome } from './toolApprovals';
export { TopicClient, TopicFrontendClient } from './topicsClient';
export type { TopicTransport, PublishOptions, TopicFrontendClientOptions } from './topicsClient';
export { composeTopicHandler, ordering, filtering, throttling, retrying, logging } from './topicsDecorators';
export type { TopicHandler, TopicMiddleware } from './topicsDecorators';
