import type { ContactMovement, ExplanationLine, Mover } from './types';
import { BandChip, ContactLink, dateTime, score, Scroll, signed, VipTag } from './ui';

/** Pieces several pages share: explanation tables, band distributions, movers. */

export function ExplanationTable({
  lines,
  caption,
  compareWith,
  compareLabel,
}: {
  lines: ExplanationLine[];
  caption: string;
  compareWith?: ExplanationLine[];
  compareLabel?: string;
}) {
  if (lines.length === 0 && (!compareWith || compareWith.length === 0)) return <p class="muted">No rule has contributed anything.</p>;
  const names = [...new Set([...lines.map((line) => line.rule), ...(compareWith ?? []).map((line) => line.rule)])];
  const byRule = (list: ExplanationLine[] | undefined, rule: string) => list?.filter((line) => line.rule === rule) ?? [];
  const sum = (list: ExplanationLine[]) => list.reduce((total, line) => total + line.points, 0);
  return (
    <Scroll label={caption}>
      <table class="explanation">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Kind</th>
            <th scope="col" class="num">
              Count
            </th>
            <th scope="col" class="num">
              Points
            </th>
            {compareWith && (
              <th scope="col" class="num">
                {compareLabel ?? 'Live'}
              </th>
            )}
            <th scope="col" class="num">
              Limited
            </th>
            <th scope="col">Adjustment: who, when, why</th>
          </tr>
        </thead>
        <tbody>
          {names.flatMap((rule) => {
            const mine = byRule(lines, rule);
            const theirs = byRule(compareWith, rule);
            const rows = mine.length > 0 ? mine : [{ rule, points: 0, count: 0 } as ExplanationLine];
            return rows.map((line, index) => (
              <tr key={`${rule}-${index}`}>
                <th scope="row">{line.rule}</th>
                <td>{line.kind ?? (mine.length === 0 ? '—' : '')}</td>
                <td class="num">{line.count ?? '—'}</td>
                <td class="num">{score(line.points)}</td>
                {compareWith && <td class="num">{theirs.length ? score(sum(theirs)) : '—'}</td>}
                <td class="num">{line.limited ? line.limited : '—'}</td>
                <td>{line.kind === 'adjustment' ? `${line.by ?? 'someone'}, ${dateTime(line.at)}: ${line.reason ?? ''}` : ''}</td>
              </tr>
            ));
          })}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            <td />
            <td />
            <td class="num">{score(sum(lines))}</td>
            {compareWith && <td class="num">{score(sum(compareWith))}</td>}
            <td />
            <td />
          </tr>
        </tfoot>
      </table>
    </Scroll>
  );
}

export type DistributionRow = { band: string | null; color: string | null; first: number; second: number };

/** Two bars per band (in the band's colour): e.g. now vs N days ago, or draft vs live. */
export function DistributionBars({
  rows,
  firstLabel,
  secondLabel,
  caption,
}: {
  rows: DistributionRow[];
  firstLabel: string;
  secondLabel: string;
  caption: string;
}) {
  const max = Math.max(1, ...rows.flatMap((row) => [row.first, row.second]));
  const total = (which: 'first' | 'second') => rows.reduce((sum, row) => sum + row[which], 0);
  const pct = (value: number, of: number) => (of === 0 ? '0 %' : `${Math.round((value / of) * 100)} %`);
  return (
    <figure class="distribution">
      <figcaption>{caption}</figcaption>
      <div class="legend" aria-hidden="true">
        <span>
          <span class="key key-first" /> {firstLabel}
        </span>
        <span>
          <span class="key key-second" /> {secondLabel}
        </span>
      </div>
      <table class="bars">
        <thead class="sr-only">
          <tr>
            <th scope="col">Band</th>
            <th scope="col">{firstLabel}</th>
            <th scope="col">{secondLabel}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.band ?? '(none)'}>
              <th scope="row">
                <BandChip band={row.band ? { name: row.band, color: row.color ?? '#888888' } : null} />
              </th>
              <td>
                <div class="barline">
                  <span class="bar bar-first" style={{ width: `${(row.first / max) * 100}%`, backgroundColor: row.color ?? '#8892a0' }} />
                  <span class="value">
                    {row.first.toLocaleString('en')} <span class="muted">({pct(row.first, total('first'))})</span>
                    <span class="sr-only"> {firstLabel}</span>
                  </span>
                </div>
                <div class="barline">
                  <span class="bar bar-second" style={{ width: `${(row.second / max) * 100}%`, borderColor: row.color ?? '#8892a0' }} />
                  <span class="value">
                    {row.second.toLocaleString('en')} <span class="muted">({pct(row.second, total('second'))})</span>
                    <span class="sr-only"> {secondLabel}</span>
                  </span>
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

export function MovementTable({ rows, caption, previousLabel }: { rows: ContactMovement[]; caption: string; previousLabel: string }) {
  if (rows.length === 0) return <p class="muted">{caption}: nobody.</p>;
  return (
    <Scroll label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Contact</th>
            <th scope="col" class="num">
              Score
            </th>
            <th scope="col" class="num">
              {previousLabel}
            </th>
            <th scope="col" class="num">
              Change
            </th>
            <th scope="col">Band</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.contactId}>
              <th scope="row">
                <ContactLink id={row.contactId} name={row.name} /> <VipTag tags={row.tags} />
              </th>
              <td class="num">{score(row.score)}</td>
              <td class="num">{score(row.previousScore)}</td>
              <td class="num">{signed(row.delta)}</td>
              <td>{row.band ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}

export function MoverTable({ rows, caption }: { rows: Mover[]; caption: string }) {
  if (rows.length === 0) return <p class="muted">{caption}: nobody.</p>;
  return (
    <Scroll label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Contact</th>
            <th scope="col" class="num">
              Live
            </th>
            <th scope="col" class="num">
              Draft
            </th>
            <th scope="col" class="num">
              Change
            </th>
            <th scope="col">Band</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.contactId}>
              <th scope="row">
                <ContactLink id={row.contactId} name={row.name} />
              </th>
              <td class="num">{score(row.live)}</td>
              <td class="num">{score(row.draft)}</td>
              <td class="num">{signed(row.delta)}</td>
              <td>{row.liveBand === row.draftBand ? (row.draftBand ?? '—') : `${row.liveBand ?? 'none'} → ${row.draftBand ?? 'none'}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Scroll>
  );
}
