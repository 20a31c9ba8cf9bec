// The hub's network front: one http.Server with `ws` in noServer mode. /ws (token + Origin checked before the
// upgrade), /healthz (no token), /monitor (token) and /monitor/assets/*. Binds loopback unless told otherwise and
// falls back to a free port when the configured one is taken.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join, normalize, sep, extname } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { SwitchboardError } from '../protocol/errors';
import { renderTokenHelpPage, TOKEN_HELP_CSP } from './monitorPage';

export interface HttpFrontOptions {
  host: string;
  port: number;
  portFallback: boolean;
  token: string;
  /** Seed compatibility: a connection that presents no token is accepted (the hub binds loopback only then). */
  tokenOptional?: boolean;
  allowedOrigins: string[];
  /** ws closes (1009) beyond this; frames between the soft limit and this are answered by the hub with an ERROR. */
  hardMaxPayloadBytes: number;
  webviewDir?: string;
}

export interface HttpFrontHandlers {
  onConnection(ws: WebSocket, req: IncomingMessage): void;
  health(): Record<string, unknown>;
  /** GET /health in the seed's shape (its compose file waits on it), served under seed compatibility only. */
  seedHealth?(): Record<string, unknown>;
  monitorPage(nonce: string): string;
  onServerError?(err: Error): void;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
};

/** Reads the token from `?token=` or `Authorization: Bearer`. */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const q = url.searchParams.get('token');
  if (q) return q;
  const auth = req.headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) return auth.replace(/^bearer\s+/i, '').trim();
  return undefined;
}

export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class HttpFront {
  private server: Server | undefined;
  private readonly wss: WebSocketServer;
  private boundPort = 0;

  constructor(
    private readonly opts: HttpFrontOptions,
    private readonly handlers: HttpFrontHandlers,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: opts.hardMaxPayloadBytes,
      // Compression costs ~100 KiB per idle connection (measured on the seed); agents send small JSON.
      perMessageDeflate: false,
      // RFC 6455 says close 1007 on invalid UTF-8; we answer an ERROR and keep the connection instead (the hub
      // checks each text frame with buffer.isUtf8, which is as fast as ws's own check).
      skipUTF8Validation: true,
    });
  }

  get port(): number {
    return this.boundPort;
  }

  /** The Origins a browser page served by this hub itself presents. */
  private ownOrigins(): Set<string> {
    const p = this.boundPort;
    const set = new Set([`http://127.0.0.1:${p}`, `http://localhost:${p}`, `http://[::1]:${p}`]);
    if (this.opts.host && !['0.0.0.0', '::'].includes(this.opts.host)) {
      set.add(`http://${this.opts.host.includes(':') ? `[${this.opts.host}]` : this.opts.host}:${p}`);
    }
    return set;
  }

  originAllowed(origin: string | undefined): boolean {
    if (origin === undefined) return true; // non-browser clients send no Origin
    return this.ownOrigins().has(origin) || this.opts.allowedOrigins.includes(origin);
  }

  async start(): Promise<number> {
    const server = createServer((req, res) => this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    server.on('clientError', (_err, socket) => socket.destroy());
    this.server = server;
    try {
      this.boundPort = await listen(server, this.opts.host, this.opts.port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && this.opts.portFallback && this.opts.port !== 0) {
        this.boundPort = await listen(server, this.opts.host, 0).catch((e: unknown) => {
          throw new SwitchboardError('internal', `Cannot listen on ${this.opts.host}: ${(e as Error).message}`, { cause: e });
        });
      } else {
        this.server = undefined;
        const hint = code === 'EADDRINUSE' ? ': the port is in use; choose another port or turn on the port fallback (portFallback)' : `: ${(err as Error).message}`;
        throw new SwitchboardError('internal', `Cannot listen on ${this.opts.host}:${this.opts.port}${hint}`, { cause: err });
      }
    }
    // After listening, a server error (e.g. EMFILE on accept) must be reported, never crash the process.
    server.on('error', (err) => this.handlers.onServerError?.(err));
    return this.boundPort;
  }

  /** Stops accepting and closes idle HTTP sockets. WebSockets are closed by the hub beforehand. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    this.wss.close();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') return refuse(socket, 404, 'Not Found', 'WebSocket endpoint is /ws');
    const presented = presentedToken(req, url);
    if (!(presented === undefined && this.opts.tokenOptional) && !tokenMatches(presented, this.opts.token)) {
      return refuse(socket, 401, 'Unauthorized', 'A valid token is required: ?token=TOKEN or Authorization: Bearer TOKEN');
    }
    const origin = req.headers.origin;
    if (!this.originAllowed(origin)) {
      return refuse(socket, 403, 'Forbidden', `Origin ${origin} is not allowed: add it to allowedOrigins`);
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.handlers.onConnection(ws, req));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'Method Not Allowed');
    if (path === '/healthz') {
      return send(res, 200, 'application/json', JSON.stringify(this.handlers.health()));
    }
    if (path === '/health' && this.handlers.seedHealth) {
      return send(res, 200, 'application/json', JSON.stringify(this.handlers.seedHealth()));
    }
    if (path === '/monitor' || path === '/monitor/') {
      const presented = presentedToken(req, url);
      if (!tokenMatches(presented, this.opts.token)) {
        // a page that says where the token is; 401 without one, 403 for a wrong one
        res.setHeader('Content-Security-Policy', TOKEN_HELP_CSP);
        return send(res, presented ? 403 : 401, 'text/html; charset=utf-8', renderTokenHelpPage(Boolean(presented)));
      }
      const nonce = randomBytes(16).toString('base64');
      res.setHeader(
        'Content-Security-Policy',
        `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; font-src 'self'; img-src 'self' data:; connect-src 'self' ws://${req.headers.host ?? ''}`,
      );
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      return send(res, 200, 'text/html; charset=utf-8', this.handlers.monitorPage(nonce));
    }
    if (path.startsWith('/monitor/assets/')) {
      void this.serveAsset(path.slice('/monitor/assets/'.length), res);
      return;
    }
    send(res, 404, 'text/plain', 'Not Found');
  }

  private async serveAsset(rel: string, res: ServerResponse): Promise<void> {
    const dir = this.opts.webviewDir;
    const type = CONTENT_TYPES[extname(rel)];
    let decoded: string;
    try {
      decoded = decodeURIComponent(rel);
    } catch {
      return send(res, 400, 'text/plain', 'Bad Request');
    }
    const file = dir ? normalize(join(dir, decoded)) : '';
    if (!dir || !type || !file.startsWith(normalize(dir) + sep)) return send(res, 404, 'text/plain', 'Not Found');
    try {
      const body = await fsp.readFile(file);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      send(res, 200, type, body);
    } catch {
      send(res, 404, 'text/plain', 'Not Found');
    }
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

function refuse(socket: Duplex, status: number, text: string, detail: string): void {
  const body = detail + '\n';
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
