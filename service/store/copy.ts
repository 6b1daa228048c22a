import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * COPY … FROM STDIN in text format: the fastest way to hand PostgreSQL many rows (measured here ~1M
 * rows/s against ~0.45M/s for an unnest insert). Rows are sent in chunks of lines.
 */

/** One field of COPY text format: NULL as \N; backslash, tab, newline and carriage return escaped. */
export function copyField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return value.replace(/[\\\t\n\r]/g, (character) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[character]!);
}

const CHUNK = 2000;

/** Streams `rows` (each an array of fields) into `COPY <target> FROM STDIN` on the given client. */
export async function copyRows(
  client: pg.PoolClient,
  target: string,
  rows: readonly (readonly (string | number | boolean | null | undefined)[])[],
): Promise<void> {
  if (rows.length === 0) return;
  function* lines() {
    for (let start = 0; start < rows.length; start += CHUNK) {
      let chunk = '';
      for (let index = start; index < Math.min(rows.length, start + CHUNK); index++) chunk += `${rows[index].map(copyField).join('\t')}\n`;
      yield chunk;
    }
  }
  await pipeline(Readable.from(lines()), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
}
