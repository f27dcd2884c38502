/**
 * A loopback HTTP proxy that misbehaves on purpose, driven by a seeded generator: it answers 503
 * without forwarding, drops the connection before forwarding, forwards and then drops the answer
 * (the request was applied but the client never hears so), or delays forwarding. It can also be
 * switched "down" (every connection is cut at once). Only 127.0.0.1 is ever contacted.
 */
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createRng, type Rng } from "../../lib/util/random.js";

export interface ChaosRates {
  status503: number;
  dropBefore: number;
  dropAfter: number;
  delay: number;
  maxDelayMs: number;
}

export interface ChaosCounts {
  forwarded: number;
  status503: number;
  dropBefore: number;
  dropAfter: number;
  delayed: number;
  refusedDown: number;
}

export class ChaosProxy {
  private readonly server: Server;
  private readonly rng: Rng;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16 });
  private readonly sockets = new Set<Socket>();
  down = false;
  rates: ChaosRates;
  readonly counts: ChaosCounts = { forwarded: 0, status503: 0, dropBefore: 0, dropAfter: 0, delayed: 0, refusedDown: 0 };
  port = 0;

  constructor(
    private readonly targetPort: number,
    seed: number,
    rates: Partial<ChaosRates> = {},
  ) {
    this.rng = createRng(seed);
    this.rates = { status503: 0, dropBefore: 0, dropAfter: 0, delay: 0, maxDelayMs: 200, ...rates };
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on("connection", (socket: Socket) => {
      if (this.down) {
        this.counts.refusedDown++;
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Cut every open connection and refuse new ones until `setDown(false)`. */
  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.agent.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (this.down) {
      req.socket.destroy();
      return;
    }
    const u = this.rng.uniform();
    const r = this.rates;
    if (u < r.status503) {
      this.counts.status503++;
      res.writeHead(503, { "Content-Type": "text/plain" });
      res.end("chaos proxy: service unavailable");
      return;
    }
    if (u < r.status503 + r.dropBefore) {
      this.counts.dropBefore++;
      req.socket.destroy();
      return;
    }
    const dropAfter = u < r.status503 + r.dropBefore + r.dropAfter;
    if (!dropAfter && u < r.status503 + r.dropBefore + r.dropAfter + r.delay) {
      this.counts.delayed++;
      await new Promise((resolve) => setTimeout(resolve, Math.floor(this.rng.uniform() * r.maxDelayMs)));
      // A client that gave up meanwhile gets nothing forwarded (as a proxy aborts an upstream call).
      if (req.socket.destroyed) return;
    }
    this.counts.forwarded++;
    const headers = { ...req.headers, host: `127.0.0.1:${this.targetPort}` };
    const upstream = request(
      { host: "127.0.0.1", port: this.targetPort, method: req.method, path: req.url, headers, agent: this.agent },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on("data", (c: Buffer) => parts.push(c));
        answer.on("end", () => {
          if (dropAfter) {
            this.counts.dropAfter++;
            req.socket.destroy();
            return;
          }
          const out = Buffer.concat(parts);
          const h = { ...answer.headers };
          delete h["transfer-encoding"];
          h["content-length"] = String(out.length);
          res.writeHead(answer.statusCode ?? 502, h);
          res.end(out);
        });
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) {
        res.writeHead(502, { "Content-Type": "text/plain" });
        res.end("chaos proxy: upstream failed");
      }
    });
    upstream.end(body);
  }
}
