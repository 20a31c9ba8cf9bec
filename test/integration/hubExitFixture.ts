// Child process for the shutdown test: a hub with every timer running and clients of each role; after stop() the
// process must exit on its own (no open handles). Prints what it saw as one JSON line.
import WebSocket from 'ws';
import { Hub } from '../../src/hub/hub';

async function main(): Promise<void> {
  const hub = new Hub({ port: 0, pingIntervalMs: 20, heartbeatIntervalMs: 20, fullStatusIntervalMs: 30, inactivityTimeoutMs: 5000, logDir: process.argv[2] ?? '' });
  await hub.start();
  const seen: string[] = [];
  const roles = [
    { message_type: 'REGISTER_AGENT', agent_name: 'a' },
    { message_type: 'REGISTER_FRONTEND', frontend_name: 'f' },
    { message_type: 'REGISTER_MONITOR' },
    { message_type: 'REGISTER_BROKER' },
  ];
  const clients = await Promise.all(
    roles.map(
      (reg) =>
        new Promise<WebSocket>((resolve) => {
          const ws = new WebSocket(hub.agentUrl);
          ws.on('open', () => ws.send(JSON.stringify(reg)));
          ws.on('message', (d) => {
            const m = JSON.parse(d.toString()) as { message_type: string };
            if (m.message_type.startsWith('REGISTER_')) resolve(ws);
            if (m.message_type === 'SHUTDOWN') seen.push(`${reg.message_type}:SHUTDOWN`);
          });
          ws.on('close', (code, reason) => seen.push(`${reg.message_type}:close:${code}:${reason.toString()}`));
        }),
    ),
  );
  hub.sendMessage({ receiver_id: 'broadcast', text_payload: 'hello' });
  await new Promise((r) => setTimeout(r, 100));
  await hub.stop();
  // A leaked timer, socket or server stays; a file request already in flight (tsx's cache, the OS being slow under
  // load) finishes by itself — so wait up to 2 s for what is transient to drain, then report what is left.
  const lasting = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap');
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 50));
    if (lasting().length === 0) break;
  }
  process.stdout.write(JSON.stringify({ seen, clients: clients.length, state: hub.state, resources: process.getActiveResourcesInfo() }) + '\n');
}

void main();
