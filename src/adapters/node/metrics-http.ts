import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A running metrics endpoint. */
export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves `render()` as `text/plain; version=0.0.4` on `GET /metrics` (404 elsewhere) for
 * Prometheus to scrape. Listen on loopback unless the scraper is on another host.
 */
export async function startMetricsServer(host: string, port: number, render: () => string): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; metrics are at /metrics\n");
      return;
    }
    try {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" }).end(render());
    } catch (error) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${(error as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
