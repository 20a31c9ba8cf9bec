// How smooth the Monitor stays under load, in Debian's Chromium, run by hand (`npm run bench -- --only=monitorui`
// runs the same measurement as a row of the table): the monitor page against a page that discards the same stream,
// in alternating rounds. See bench/scenarios/monitorUi.ts.
// Usage: npx tsx bench/monitorUi.ts [rate=20000] [seconds per round=5] [filterText] (AGENTS=n, default 20;
// ROUNDS=n, default 2; PROFILE=file.cpuprofile; TRACE=file.json; SCREENSHOT=file.png)

import { monitorUiBench } from './scenarios/monitorUi';

async function main(): Promise<void> {
  const r = await monitorUiBench({
    rate: Number(process.argv[2] ?? 20_000),
    roundMs: Number(process.argv[3] ?? 5) * 1000,
    rounds: Number(process.env.ROUNDS ?? 2),
    filter: process.argv[4] ?? '',
    agents: Number(process.env.AGENTS ?? 20),
    ...(process.env.PROFILE ? { profileFile: process.env.PROFILE } : {}),
    ...(process.env.TRACE ? { traceFile: process.env.TRACE } : {}),
    ...(process.env.SCREENSHOT ? { screenshotFile: process.env.SCREENSHOT } : {}),
  });
  const round = (x: number): number => Number(x.toFixed(x < 10 ? 3 : 1));
  const show = (f: typeof r.ours): Record<string, unknown> =>
    Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Array.isArray(v) ? v.map(round) : round(v as number)]));
  console.log(JSON.stringify({ rate: r.rate, ours: show(r.ours), baseline: show(r.baseline) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
