// A lean WebSocket client for load generation (the swarm's thousands of idle agents): a real RFC 6455 handshake
// (Sec-WebSocket-Accept checked), masked client frames, unmasked server frames of any length parsed, control frames
// answered (ping → pong, close → close). What it leaves out next to `ws` is what a load generator does not need:
// extensions, fragmented messages, UTF-8 validation, events per frame. On a 2-core machine the load generator shares
// the cores with the server it measures; `ws`'s client spent more CPU per connection than the server did (~0.9 ms vs
// ~0.35 ms), so the connection rate measured the clients. The same client serves the bare-ws baseline.

import { connect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export interface LightWs {
  send(text: string): void;
  close(): void;
  readonly socket: Socket;
}

export interface LightWsHandlers {
  onOpen(ws: LightWs): void;
  onText(ws: LightWs, text: string): void;
  onError(err: Error): void;
}

/** A masked client frame (opcode 1 text, 9/10 ping/pong, 8 close) with a fresh mask key. */
function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65_536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65_536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, head);
  for (let i = 0; i < len; i++) out[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

export function lightWs(url: string, h: LightWsHandlers): void {
  const u = new URL(url);
  const key = randomBytes(16).toString('base64');
  const accept = createHash('sha1').update(key + GUID).digest('base64');
  const socket = connect(Number(u.port), u.hostname);
  socket.setNoDelay(true);
  let open = false;
  let buf: Buffer = Buffer.alloc(0);
  const ws: LightWs = {
    socket,
    send: (text) => void socket.write(frame(1, Buffer.from(text))),
    close: () => socket.destroy(),
  };
  socket.on('error', (err) => h.onError(err));
  socket.on('connect', () => {
    socket.write(
      `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
  socket.on('data', (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    if (!open) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
      const got = lines.find((l) => l.toLowerCase().startsWith('sec-websocket-accept:'))?.slice(21).trim();
      if (!lines[0]!.startsWith('HTTP/1.1 101') || got !== accept) {
        socket.destroy();
        h.onError(new Error(`handshake refused: ${lines[0]}${got !== undefined && got !== accept ? ' (wrong Sec-WebSocket-Accept)' : ''}`));
        return;
      }
      open = true;
      buf = buf.subarray(end + 4);
      h.onOpen(ws);
    }
    // Server frames: FIN assumed (the hub sends whole messages), never masked.
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0]! & 0x0f;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      if (buf.length < off + len) return;
      const payload = buf.subarray(off, off + len);
      buf = buf.subarray(off + len);
      if (opcode === 1) h.onText(ws, payload.toString('utf8'));
      else if (opcode === 9) socket.write(frame(10, Buffer.from(payload)));
      else if (opcode === 8) {
        socket.end(frame(8, Buffer.from(payload.subarray(0, 2))));
        return;
      }
    }
  });
}
