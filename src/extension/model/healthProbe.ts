// Asks whatever listens on host:port whether it is a Switchboard hub (GET /healthz), so a window attaches to an
// existing hub instead of starting a rival.

import { request } from 'node:http';

export type ProbeResult =
  | { kind: 'free' }
  | { kind: 'hub'; hubId: string; agentsOnline?: number }
  | { kind: 'other'; detail: string };

export function probeHub(host: string, port: number, timeoutMs = 1500): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    const req = request({ host, port, path: '/healthz', method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        // a hub's answer is tiny; anything large is not one of ours
        if (size > 64 * 1024) {
          req.destroy();
          done({ kind: 'other', detail: 'answer to /healthz too large' });
        } else chunks.push(c);
      });
      res.on('end', () => {
        try {
          const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof body === 'object' && body !== null) {
            const b = body as Record<string, unknown>;
            if (b.status === 'ok' && typeof b.hub_id === 'string') {
              const online = typeof b.agents_online === 'number' ? b.agents_online : undefined;
              done(online === undefined ? { kind: 'hub', hubId: b.hub_id } : { kind: 'hub', hubId: b.hub_id, agentsOnline: online });
              return;
            }
          }
          done({ kind: 'other', detail: `HTTP ${res.statusCode ?? '?'} without a hub id` });
        } catch {
          done({ kind: 'other', detail: `HTTP ${res.statusCode ?? '?'}, not JSON` });
        }
      });
      res.on('error', (err) => done({ kind: 'other', detail: err.message }));
    });
    req.on('timeout', () => {
      req.destroy();
      done({ kind: 'other', detail: `no answer within ${timeoutMs} ms` });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done({ kind: 'free' });
      else done({ kind: 'other', detail: err.code ?? err.message });
    });
    req.end();
  });
}

/** True when `pid` names a live process (signal 0 checks without touching it). */
export { processAlive } from '../../hub/hubFile';
