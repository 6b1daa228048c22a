import { interactionBatch, contactAt, type WorkloadShape } from '../lib/workload';
import { Progress } from '../lib/progress';

/**
 * Load generator in its own process: POSTs interactions (or contacts) in batches, several requests
 * in flight, and prints { items, seconds, rate } as its last line. Bodies are prepared before the
 * clock starts, so the figure is the service's, not the generator's.
 */
type Input = {
  baseUrl: string;
  key: string;
  shape: WorkloadShape;
  from: number;
  count: number;
  batchSize: number;
  concurrency: number;
  kind: 'interactions' | 'contacts';
  /** e.g. `?wait=true` */
  query?: string;
};

async function main() {
  const input = JSON.parse(process.argv[2]) as Input;
  const bodies: { body: string; items: number }[] = [];
  const preparing = new Progress(`preparing ${input.kind}`, input.count);
  for (let offset = 0; offset < input.count; offset += input.batchSize) {
    const size = Math.min(input.batchSize, input.count - offset);
    if (input.kind === 'contacts') {
      bodies.push({
        body: JSON.stringify({ contacts: Array.from({ length: size }, (_, index) => contactAt(input.shape, input.from + offset + index)) }),
        items: size,
      });
    } else {
      bodies.push({ body: JSON.stringify({ interactions: interactionBatch(input.shape, input.from + offset, size) }), items: size });
    }
    preparing.add(size);
  }
  preparing.finish();
  const path = `${input.kind === 'contacts' ? '/v1/contacts/batch' : '/v1/interactions'}${input.query ?? ''}`;
  const loading = new Progress(`posting ${input.kind} (${input.batchSize}/req)`, input.count);
  let next = 0;
  let accepted = 0;
  // The furthest token answered: everything posted is stored below it.
  let lastToken = '';
  const position = (token: string) => (token ? Number.parseInt(token.slice(4), 36) : 0);
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (next < bodies.length) {
      const { body, items } = bodies[next++];
      const response = await fetch(`${input.baseUrl}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${input.key}`, 'Content-Type': 'application/json' },
        body,
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 300)}`);
      const answer = JSON.parse(text) as { accepted?: number; created?: number; updated?: number; token?: string };
      if (answer.token && position(answer.token) > position(lastToken)) lastToken = answer.token;
      accepted += answer.accepted ?? (answer.created ?? 0) + (answer.updated ?? 0);
      loading.add(items);
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  loading.finish();
  process.stdout.write(`${JSON.stringify({ items: input.count, accepted, seconds, rate: input.count / seconds, lastToken })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
