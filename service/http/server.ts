import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';

/** The HTTP server around the app: a start that reports what went wrong, and a stop that lets requests finish. */
export type HttpServer = {
  server: http.Server;
  port: number;
  /** Requests started and not yet answered. */
  readonly inFlight: number;
  /**
   * Stops accepting connections and waits (at most `timeoutMs`) for every request already started to
   * get its answer; idle keep-alive connections close at once and busy ones after their answer.
   * Resolves with how many requests were cut off at the deadline.
   */
  close(timeoutMs: number): Promise<number>;
};

export class ListenError extends Error {}

export async function startHttpServer(app: express.Express, port: number, host: string): Promise<HttpServer> {
  const server = http.createServer(app);
  let inFlight = 0;
  let closing = false;
  const idle = new Set<() => void>();
  const active = new Set<http.ServerResponse>();
  server.on('request', (_req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    active.add(res);
    // While stopping, every answer closes its connection, so keep-alive clients reconnect elsewhere.
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inFlight--;
      active.delete(res);
      if (closing) setImmediate(() => server.closeIdleConnections());
      if (inFlight === 0) idle.forEach((resolve) => resolve());
    });
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      const reason =
        error.code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use (another instance?); stop it or set PORT to another port`
        : error.code === 'EACCES' ? `not allowed to listen on ${where} (ports below 1024 need privileges); set PORT above 1023`
        : error.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this machine; set HOST to one of its addresses, 0.0.0.0 or ::`
        : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' ? `the host name ${host} does not resolve; set HOST to an address`
        : `could not listen on ${where}: ${error.message}`;
      reject(new ListenError(reason));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    get inFlight() {
      return inFlight;
    },
    async close(timeoutMs) {
      closing = true;
      for (const res of active) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => idle.add(resolve)),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
        ]);
        clearTimeout(timer);
      }
      const cutOff = inFlight;
      server.closeAllConnections();
      await closed;
      return cutOff;
    },
  };
}
