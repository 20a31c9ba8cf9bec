// The whole protocol as one JSON Schema document (draft 2020-12): a oneOf over every message, discriminated by
// message_type. Built from the same TypeBox source the hub validates with.

import { MESSAGE_SCHEMAS } from './schemas';

export function buildJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (const [type, schema] of Object.entries(MESSAGE_SCHEMAS)) {
    // JSON.parse(JSON.stringify) drops TypeBox's symbol-keyed metadata and leaves plain JSON Schema
    const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
    delete plain.$id;
    defs[type] = plain;
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://agent-switchboard.dev/schema/switchboard-protocol.schema.json',
    title: 'Agent Switchboard wire protocol',
    description:
      'JSON text frames over WebSocket, one message per frame. Compatible with the seed 001 agent system; unknown fields pass through.',
    oneOf: Object.keys(defs).map((k) => ({ $ref: `#/$defs/${k}` })),
    $defs: defs,
  };
}
