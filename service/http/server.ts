import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
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

/** How long a connection accepted just before the stop gets to send its first request. */
const FIRST_REQUEST_GRACE_MS = 2000;

export async function startHttpServer(app: express.Express, port: number, host: string): Promise<HttpServer> {
  const server = http.createServer(app);
  let inFlight = 0;
  let closing = false;
  const changed = new Set<() => void>();
  const notify = () => changed.forEach((resolve) => resolve());
  const active = new Set<http.ServerResponse>();
  /** Every open connection: how many requests it has sent, and whether one is being answered. */
  const connections = new Map<net.Socket, { served: number; busy: boolean; since: number }>();
  server.on('connection', (socket: net.Socket) => {
    connections.set(socket, { served: 0, busy: false, since: Date.now() });
    socket.on('close', () => {
      connections.delete(socket);
      notify();
    });
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    inFlight++;
    active.add(res);
    const connection = connections.get(req.socket);
    if (connection) {
      connection.served++;
      connection.busy = true;
    }
    // While stopping, every answer closes its connection, so keep-alive clients reconnect elsewhere.
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inFlight--;
      active.delete(res);
      if (connection) connection.busy = false;
      notify();
    });
  });
  // Requests Node's HTTP parser refuses before the app sees them still get a problem+json answer.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      type: `https://engagement-score.dev/problems/${status}`,
      title: tooLarge ? 'Request Header Fields Too Large' : 'Bad Request',
      status,
      detail: tooLarge ? 'The request line and headers are larger than 16 KB.' : 'The request is not valid HTTP.',
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use (another instance?); stop it or set PORT to another port`
          : error.code === 'EACCES'
            ? `not allowed to listen on ${where} (ports below 1024 need privileges); set PORT above 1023`
            : error.code === 'EADDRNOTAVAIL'
              ? `${host} is not an address of this machine; set HOST to one of its addresses, 0.0.0.0 or ::`
              : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
                ? `the host name ${host} does not resolve; set HOST to an address`
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
      const deadline = Date.now() + timeoutMs;
      // One turn of the event loop first: connections already waiting in the accept queue are taken
      // (and answered) rather than reset with the listening socket.
      await new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
      closing = true;
      for (const res of active) if (!res.headersSent) res.setHeader('Connection', 'close');
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      // Stop listening, but unlike http.Server#close keep connections that have not sent their first
      // request yet: they get a moment to send it. Idle keep-alive connections close now.
      for (;;) {
        const now = Date.now();
        for (const [socket, connection] of connections) {
          // end(), not destroy(): an answer just written may still sit in the socket's buffer.
          if (connection.served > 0 && !connection.busy && !socket.writableEnded) socket.end();
          if (connection.served === 0 && now - connection.since > FIRST_REQUEST_GRACE_MS) socket.destroy();
        }
        if (connections.size === 0 || now >= deadline) break;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          changed.add(resolve);
          timer = setTimeout(resolve, Math.min(100, deadline - now));
        }).finally(() => {
          clearTimeout(timer);
          changed.clear();
        });
      }
      const cutOff = inFlight;
      server.closeAllConnections();
      for (const socket of connections.keys()) socket.destroy();
      await closed;
      return cutOff;
    },
  };
}
