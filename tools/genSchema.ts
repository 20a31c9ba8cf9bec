// Writes schema/switchboard-protocol.schema.json from the TypeBox schemas in src/protocol/schemas.ts, so Python
// (or any) agents can validate what they send. A unit test fails when the committed file is stale.

import { writeFileSync } from 'node:fs';
import { buildJsonSchema } from '../src/protocol/jsonSchema';

const out = process.argv[2] ?? 'schema/switchboard-protocol.schema.json';
writeFileSync(out, JSON.stringify(buildJsonSchema(), null, 2) + '\n');
console.log(`wrote ${out}`);
