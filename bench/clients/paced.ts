import http from 'node:http';

/**
 * Evenly paced read load in its own process: one GET every 1/rate seconds, on schedule whether or
 * not earlier ones have answered (an open model, unlike autocannon's connection-bound bursts), over
 * a keep-alive pool. Latency is measured from the scheduled moment, so a stalled service shows up
 * in the figures instead of slowing the generator down. Prints percentiles and error counts as JSON.
 */
type Input = { baseUrl: string; key: string; paths: string[]; rate: number; seconds: number; sockets?: number };

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

async function main() {
  const input = JSON.parse(process.argv[2]) as Input;
  const url = new URL(input.baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: input.sockets ?? 64 });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const total = Math.round(input.rate * input.seconds);
  const interval = 1000 / input.rate;
  const get = (path: string, scheduled: number) =>
    new Promise<void>((resolve) => {
      const request = http.request(
        { host: url.hostname, port: url.port, path, method: 'GET', agent, headers: { authorization: `Bearer ${input.key}` } },
        (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - scheduled);
            if ((response.statusCode ?? 0) >= 300) non2xx++;
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end();
    });
  // A warm-up second (connections opened, code paths compiled), not measured.
  for (let index = 0; index < Math.min(50, input.paths.length); index++) await get(input.paths[index], performance.now());
  latencies.length = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < total; index++) {
    const scheduled = started + index * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(get(input.paths[index % input.paths.length], scheduled));
  }
  await Promise.all(pending);
  agent.destroy();
  const sorted = [...latencies].sort((x, y) => x - y);
  const round = (value: number) => Math.round(value * 100) / 100;
  process.stdout.write(
    `${JSON.stringify({
      requests: latencies.length,
      rate: latencies.length / ((performance.now() - started) / 1000),
      p50: round(percentile(sorted, 0.5)),
      p90: round(percentile(sorted, 0.9)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1] ?? 0),
      errors,
      non2xx,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
