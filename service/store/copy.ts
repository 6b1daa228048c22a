import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * COPY … FROM STDIN in text format: the fastest way to hand PostgreSQL many rows (measured here ~1M
 * rows/s against ~0.45M/s for an unnest insert). Rows are sent in chunks of lines.
 */

const ESCAPED = /[\\\t\n\r]/;
const ESCAPED_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** One field of COPY text format: NULL as \N; backslash, tab, newline and carriage return escaped. */
export function copyField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  // Most fields hold none of these: a test is cheaper than a replace with a callback.
  return ESCAPED.test(value) ? value.replace(ESCAPED_ALL, (character) => ESCAPES[character]) : value;
}

const CHUNK = 2000;

/** Streams `rows` (each an array of fields) into `COPY <target> FROM STDIN` on the given client. */
export async function copyRows(
  client: pg.PoolClient,
  target: string,
  rows: readonly (readonly (string | number | boolean | null | undefined)[])[],
): Promise<void> {
  await copyLines(client, target, rows.length, (index) => rows[index].map(copyField).join('\t'));
}

/** Streams `count` lines of COPY text (`lineAt` builds one, fields already escaped) into `COPY <target> FROM STDIN`. */
export async function copyLines(client: pg.PoolClient, target: string, count: number, lineAt: (index: number) => string): Promise<void> {
  if (count === 0) return;
  function* chunks() {
    for (let start = 0; start < count; start += CHUNK) {
      let chunk = '';
      for (let index = start; index < Math.min(count, start + CHUNK); index++) chunk += `${lineAt(index)}\n`;
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
}
