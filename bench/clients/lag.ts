import { interactionBatch, type WorkloadShape } from '../lib/workload';

/**
 * Scoring lag under a steady offered load, in its own process: a batch every `batchSize / rate`
 * seconds, on schedule; once a batch is accepted, a read with its token (consistency=, waiting for
 * every partition) says when it is scored. Lag = scored − accepted. Prints percentiles as JSON.
 */
type Input = {
  baseUrl: string;
  key: string;
  shape: WorkloadShape;
  from: number;
  rate: number;
  seconds: number;
  batchSize: number;
  probe: string;
};

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

async function main() {
  const input = JSON.parse(process.argv[2]) as Input;
  const batches = Math.round((input.rate * input.seconds) / input.batchSize);
  const now = Date.now();
  // A live feed: interactions happening now, in time order.
  const bodies = Array.from({ length: batches }, (_, batch) => {
    const items = interactionBatch(input.shape, input.from + batch * input.batchSize, input.batchSize).map((item, index) => ({
      ...item,
      id: `lag-${input.from + batch * input.batchSize + index}`,
      occurredAt: new Date(now + ((batch * input.batchSize + index) / input.rate) * 1000).toISOString(),
    }));
    return JSON.stringify({ interactions: items });
  });
  const headers = { Authorization: `Bearer ${input.key}`, 'Content-Type': 'application/json' };
  const lags: number[] = [];
  const accepts: number[] = [];
  let failures = 0;
  const interval = (input.batchSize / input.rate) * 1000;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let batch = 0; batch < batches; batch++) {
    const scheduled = started + batch * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(
      (async () => {
        const response = await fetch(`${input.baseUrl}/v1/interactions`, { method: 'POST', headers, body: bodies[batch] });
        const accepted = performance.now();
        const answer = (await response.json()) as { token?: string };
        accepts.push(accepted - scheduled);
        if (!response.ok || !answer.token) {
          failures++;
          return;
        }
        for (;;) {
          const probe = await fetch(`${input.baseUrl}${input.probe}&consistency=${answer.token}`, { headers });
          await probe.arrayBuffer();
          if (probe.ok) break;
          if (probe.status !== 503) {
            failures++;
            return;
          }
        }
        lags.push(performance.now() - accepted);
      })(),
    );
  }
  await Promise.all(pending);
  const sorted = [...lags].sort((x, y) => x - y);
  const acceptSorted = [...accepts].sort((x, y) => x - y);
  const round = (value: number) => Math.round(value);
  process.stdout.write(
    `${JSON.stringify({
      batches,
      interactions: batches * input.batchSize,
      p50: round(percentile(sorted, 0.5)),
      p99: round(percentile(sorted, 0.99)),
      max: round(sorted[sorted.length - 1] ?? 0),
      acceptP99: round(percentile(acceptSorted, 0.99)),
      failures,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
