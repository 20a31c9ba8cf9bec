// The seed system's third generation on gRPC: our own .proto texts, written from the protocol's facts (package,
// service, rpc and message names and field numbers exactly as its clients use them; see ARCHITECTURE.md). They live
// in a TS module so the esbuild bundles carry them with no file beside them; writeSeedProtos() puts them on disk for
// tools that want files (protoc for the Python tests).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const AGENT_REGISTRATION = `syntax = "proto3";

package agent_registration;

service AgentRegistrationService {
  rpc RegisterAgent (AgentRegistrationRequest) returns (AgentRegistrationResponse);
  rpc UnregisterAgent (AgentUnregistrationRequest) returns (AgentUnregistrationResponse);
  rpc SendHeartbeat (HeartbeatRequest) returns (HeartbeatResponse);
  rpc ReceiveCommands (ReceiveCommandsRequest) returns (stream Command);
  rpc SendCommandResult (CommandResult) returns (CommandResultResponse);
}

message AgentRegistrationRequest {
  string agent_id = 1;
  string agent_name = 2;
  string version = 3;
  map<string, string> capabilities = 4;
  string hostname = 5;
  string platform = 6;
}

message AgentRegistrationResponse {
  bool success = 1;
  string message = 2;
  string server_assigned_id = 3;
}

message AgentUnregistrationRequest {
  string agent_id = 1;
}

message AgentUnregistrationResponse {
  bool success = 1;
  string message = 2;
}

message HeartbeatRequest {
  string agent_id = 1;
  string status = 2;
  map<string, string> metrics = 3;
}

message HeartbeatResponse {
  bool success = 1;
  int32 interval = 2;
}

message ReceiveCommandsRequest {
  string agent_id = 1;
}

message Command {
  string command_id = 1;
  string type = 2;
  string content = 3;
  map<string, string> parameters = 4;
  bool is_cancellation = 5;
}

message CommandResult {
  string command_id = 1;
  string agent_id = 2;
  bool success = 3;
  string output = 4;
  string error_message = 5;
  int32 exit_code = 6;
  int64 execution_time_ms = 7;
}

message CommandResultResponse {
  bool received = 1;
  string message = 2;
}
`;

const AGENT_STATUS = `syntax = "proto3";

package agent_status;

service AgentStatusService {
  rpc SubscribeToAgentStatus (AgentStatusRequest) returns (stream AgentStatusResponse);
  rpc GetAgentStatus (AgentStatusRequest) returns (AgentStatusResponse);
  rpc SendAgentStatus (AgentStatusUpdateRequest) returns (AgentStatusUpdateResponse);
}

message AgentStatusRequest {
  string broker_id = 1;
}

message AgentInfo {
  string agent_id = 1;
  string agent_name = 2;
  string last_seen = 3;
  map<string, string> metrics = 4;
}

message AgentStatusResponse {
  repeated AgentInfo agents = 1;
  bool is_full_update = 2;
}

message AgentStatusUpdateRequest {
  AgentInfo agent = 1;
}

message AgentStatusUpdateResponse {
  bool success = 1;
  string message = 2;
}
`;

const BROKER_REGISTRATION = `syntax = "proto3";

package broker_registration;

service BrokerRegistrationService {
  rpc RegisterBroker (BrokerRegistrationRequest) returns (BrokerRegistrationResponse);
}

message BrokerRegistrationRequest {
  string broker_id = 1;
  string broker_name = 2;
}

message BrokerRegistrationResponse {
  bool success = 1;
  string message = 2;
}
`;

/** File name → .proto text, under the seed's own file names. */
export const SEED_PROTO_FILES: Readonly<Record<string, string>> = Object.freeze({
  'agent_registration_service.proto': AGENT_REGISTRATION,
  'agent_status_service.proto': AGENT_STATUS,
  'broker_registration_service.proto': BROKER_REGISTRATION,
});

/** Writes the .proto files into dir (created if missing); returns their paths. */
export function writeSeedProtos(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(SEED_PROTO_FILES).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}
