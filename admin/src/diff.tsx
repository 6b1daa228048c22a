/**
 * Side-by-side line diff of two JSON documents (both pretty-printed the same way): the longest
 * common subsequence of lines after trimming what both share at the start and the end, with
 * removed/added runs paired row by row. Profile documents are hundreds of lines, so the quadratic
 * table is small; past 4000 differing lines it falls back to showing both sides whole.
 */

export type Side = { n: number; text: string };
export type DiffRow = { kind: 'same' | 'changed' | 'removed' | 'added'; left?: Side; right?: Side };

/**
 * The order people write profile documents in. The service keeps documents as PostgreSQL jsonb,
 * which answers keys in its own order (shortest first), so documents are put back in this order
 * before they are shown; keys not listed keep their order, after the listed ones.
 */
const KEY_ORDER = [
  '$schema',
  'name',
  'description',
  'kind',
  'saturation',
  'rules',
  'conditions',
  'decay',
  'window',
  'range',
  'bands',
  'suggestions',
  'condition',
  'all',
  'any',
  'not',
  'fact',
  'path',
  'operator',
  'value',
  'event',
  'type',
  'params',
  'priority',
  'points',
  'weight',
  'limit',
  'count',
  'perDays',
  'min',
  'max',
  'color',
  'halfLifeDays',
  'days',
  'action',
  'message',
];
const rank = new Map(KEY_ORDER.map((key, index) => [key, index]));

export function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  entries.sort(([a], [b]) => (rank.get(a) ?? KEY_ORDER.length) - (rank.get(b) ?? KEY_ORDER.length));
  return Object.fromEntries(entries.map(([key, item]) => [key, ordered(item)]));
}

/** A profile document as the editor and the diffs show it: two-space JSON, keys in writing order. */
export function pretty(document: unknown): string {
  return JSON.stringify(ordered(document), null, 2) ?? '';
}

export function diffLines(leftText: string, rightText: string): DiffRow[] {
  const a = leftText.split('\n');
  const b = rightText.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const rows: DiffRow[] = [];
  for (let i = 0; i < start; i++) rows.push({ kind: 'same', left: { n: i + 1, text: a[i] }, right: { n: i + 1, text: b[i] } });
  const n = endA - start;
  const m = endB - start;
  const ops: ('same' | 'removed' | 'added')[] = [];
  if (n * m <= 16_000_000) {
    // lcs[i][j]: length of the LCS of a[start+i..endA) and b[start+j..endB).
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * width + j] =
          a[start + i] === b[start + j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[start + i] === b[start + j]) {
        ops.push('same');
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i * width + j + 1] >= lcs[(i + 1) * width + j])) {
        ops.push('added');
        j++;
      } else {
        ops.push('removed');
        i++;
      }
    }
  } else {
    for (let i = 0; i < n; i++) ops.push('removed');
    for (let j = 0; j < m; j++) ops.push('added');
  }
  let i = start;
  let j = start;
  let removed: Side[] = [];
  let added: Side[] = [];
  const flush = () => {
    const count = Math.max(removed.length, added.length);
    for (let k = 0; k < count; k++) {
      const left = removed[k];
      const right = added[k];
      rows.push({ kind: left && right ? 'changed' : left ? 'removed' : 'added', left, right });
    }
    removed = [];
    added = [];
  };
  for (const op of ops) {
    if (op === 'same') {
      flush();
      rows.push({ kind: 'same', left: { n: i + 1, text: a[i] }, right: { n: j + 1, text: b[j] } });
      i++;
      j++;
    } else if (op === 'removed') {
      removed.push({ n: i + 1, text: a[i] });
      i++;
    } else {
      added.push({ n: j + 1, text: b[j] });
      j++;
    }
  }
  flush();
  for (let k = 0; endA + k < a.length; k++)
    rows.push({ kind: 'same', left: { n: endA + k + 1, text: a[endA + k] }, right: { n: endB + k + 1, text: b[endB + k] } });
  return rows;
}

/** Rows far from any change are folded into "N unchanged lines". */
function folded(rows: DiffRow[], context: number): (DiffRow | { kind: 'fold'; count: number })[] {
  const near = rows.map(() => false);
  rows.forEach((row, index) => {
    if (row.kind === 'same') return;
    for (let k = Math.max(0, index - context); k <= Math.min(rows.length - 1, index + context); k++) near[k] = true;
  });
  const out: (DiffRow | { kind: 'fold'; count: number })[] = [];
  let run = 0;
  rows.forEach((row, index) => {
    if (near[index]) {
      if (run > 0) out.push({ kind: 'fold', count: run });
      run = 0;
      out.push(row);
    } else run++;
  });
  if (run > 0) out.push({ kind: 'fold', count: run });
  return out;
}

const marks = { same: '', changed: 'changed', removed: 'removed', added: 'added' } as const;

export function DiffView({
  left,
  right,
  leftTitle,
  rightTitle,
  caption,
}: {
  left: string;
  right: string;
  leftTitle: string;
  rightTitle: string;
  caption: string;
}) {
  const rows = diffLines(left, right);
  const changes = rows.filter((row) => row.kind !== 'same').length;
  const shown = folded(rows, 3);
  return (
    <div class="diff-wrap">
      <p class="diff-summary">
        {changes === 0
          ? 'The two documents are the same.'
          : `${changes} line${changes === 1 ? '' : 's'} differ${changes === 1 ? 's' : ''}.`}
      </p>
      {changes > 0 && (
        <div class="scroll" tabIndex={0} role="region" aria-label={caption}>
          <table class="diff">
            <caption class="sr-only">{caption}</caption>
            <thead>
              <tr>
                <th scope="col" colSpan={2}>
                  {leftTitle}
                </th>
                <th scope="col" colSpan={2}>
                  {rightTitle}
                </th>
              </tr>
            </thead>
            <tbody>
              {shown.map((row, index) =>
                row.kind === 'fold' ? (
                  <tr key={index} class="fold">
                    <td colSpan={4}>
                      ⋯ {row.count} unchanged line{row.count === 1 ? '' : 's'}
                    </td>
                  </tr>
                ) : (
                  <tr key={index} class={`diff-${row.kind}`}>
                    <td class="ln">{row.left?.n ?? ''}</td>
                    <td class={`code ${row.left && row.kind !== 'same' ? 'minus' : ''}`}>
                      {row.left && row.kind !== 'same' && (
                        <span class="sr-only">
                          {marks[row.kind]} in {leftTitle}:{' '}
                        </span>
                      )}
                      {row.left?.text ?? ''}
                    </td>
                    <td class="ln">{row.right?.n ?? ''}</td>
                    <td class={`code ${row.right && row.kind !== 'same' ? 'plus' : ''}`}>
                      {row.right && row.kind !== 'same' && (
                        <span class="sr-only">
                          {marks[row.kind]} in {rightTitle}:{' '}
                        </span>
                      )}
                      {row.right?.text ?? ''}
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
