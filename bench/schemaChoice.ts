// The measurement behind the schema library choice (issue 3): validation throughput of the same TEXT message
// schema in TypeBox (compiled) and zod 4, each as a ratio to JSON.parse alone, measured in the same run.

import { z } from 'zod';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Text } from '../src/protocol/schemas';

const frame = JSON.stringify({
  message_type: 'TEXT',
  message_id: 'msg_0123456789abcdef',
  sender_id: 'web_1a2b3c4d',
  receiver_id: 'agent_5e6f7a8b',
  text_payload: 'Please summarise the latest findings on the retrieval benchmark.',
  send_timestamp: new Date().toISOString(),
  in_reply_to_message_id: null,
});

const zText = z.looseObject({
  message_type: z.literal('TEXT'),
  message_id: z.union([z.string().min(1).max(256), z.number()]).optional(),
  sender_id: z.string().max(256).nullable().optional(),
  receiver_id: z.string().max(256).nullable().optional(),
  send_timestamp: z.union([z.string().max(128), z.number()]).nullable().optional(),
  in_reply_to_message_id: z.union([z.string().min(1).max(256), z.number()]).nullable().optional(),
  text_payload: z.string().max(1048576),
  thread: z.string().max(256).optional(),
  _client_id: z.string().optional(),
  routing_status: z.string().optional(),
});
const tbText = TypeCompiler.Compile(Text);

function rate(fn: () => void, ms = 200): number {
  for (let i = 0; i < 20_000; i++) fn(); // warm-up
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
  }
  return (n / ms) * 1000;
}

export interface SchemaChoiceResult {
  jsonParse: number;
  typebox: number;
  zod: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Interleaved rounds, median of each: the machine is noisy, so no contender gets a quiet or a busy moment alone. */
export function measureSchemaChoice(rounds = 7): SchemaChoiceResult {
  let sink = 0;
  const contenders = {
    jsonParse: () => {
      sink += (JSON.parse(frame) as { message_type: string }).message_type.length;
    },
    typebox: () => {
      if (tbText.Check(JSON.parse(frame))) sink++;
    },
    zod: () => {
      if (zText.safeParse(JSON.parse(frame)).success) sink++;
    },
  };
  const samples: Record<keyof typeof contenders, number[]> = { jsonParse: [], typebox: [], zod: [] };
  for (let r = 0; r < rounds; r++) {
    for (const k of Object.keys(contenders) as (keyof typeof contenders)[]) samples[k].push(rate(contenders[k]));
  }
  if (sink < 0) console.log(sink);
  return { jsonParse: median(samples.jsonParse), typebox: median(samples.typebox), zod: median(samples.zod) };
}

if (require.main === module) {
  const r = measureSchemaChoice();
  const f = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;
  console.log(`JSON.parse alone     ${f(r.jsonParse)}`);
  console.log(`parse + TypeBox      ${f(r.typebox)}  (${(r.typebox / r.jsonParse).toFixed(2)}× of JSON.parse)`);
  console.log(`parse + zod 4        ${f(r.zod)}  (${(r.zod / r.jsonParse).toFixed(2)}× of JSON.parse)`);
  console.log(`TypeBox / zod        ${(r.typebox / r.zod).toFixed(2)}×`);
}
