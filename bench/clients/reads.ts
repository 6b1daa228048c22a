import autocannon from 'autocannon';

/**
 * Read load in its own process: autocannon at a fixed request rate against one or more paths
 * (chosen round-robin), printing latency percentiles and error counts as JSON.
 */
type Input = { baseUrl: string; key: string; paths: string[]; rate: number; seconds: number; connections: number };

async function main() {
  const input = JSON.parse(process.argv[2]) as Input;
  let index = 0;
  const result = await autocannon({
    url: input.baseUrl,
    connections: input.connections,
    overallRate: input.rate,
    duration: input.seconds,
    headers: { authorization: `Bearer ${input.key}` },
    requests: [
      {
        setupRequest: (request) => {
          request.path = input.paths[index++ % input.paths.length]!;
          return request;
        },
      },
    ],
  });
  process.stdout.write(
    `${JSON.stringify({
      requests: result.requests.total,
      rate: result.requests.average,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
