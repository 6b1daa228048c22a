import {
  element,
  fit,
  formatNumber,
  GRID,
  heading,
  INK,
  linear,
  MUTED,
  niceTicks,
  NO_BAND_COLOR,
  safeColor,
  svgDocument,
  text,
  tooltip,
  yAxis,
  type Size,
} from './svg';

/**
 * A contact's score over time (GET /v1/profiles/{id}/scores/{contactId}/history): a line with a point
 * per step, over the profile's bands tinted in their colours with each edge drawn as a dashed line in
 * the colour of the band above it and the band's name at the right; dates under the plot, scores left.
 */

export type HistoryPoint = { at: string; score: number };
export type ChartBand = { name: string; min: number; max: number; color: string };

export type ScoreHistoryChart = {
  title: string;
  subtitle?: string;
  points: HistoryPoint[];
  /** The profile's bands, sorted by min. */
  bands: ChartBand[];
  /** The profile's range, if it clamps scores: the value axis shows all of it. */
  range?: { min: number; max: number } | null;
};

export const HISTORY_SIZE: Size = { width: 800, height: 400 };

/** Opacity of a band's tint behind the line. */
export const BAND_TINT = 0.14;

const DAY = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "3 Jun", or "3 Jun 2026" when asked (the first tick, and every tick of a series spanning years). */
function dateLabel(t: number, withYear: boolean): string {
  const date = new Date(t);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]}${withYear ? ` ${date.getUTCFullYear()}` : ''}`;
}

/** Midnights (UTC) between `from` and `to`, every 1, 2, 7, 14, 28… days so that at most `most` fit. */
function dateTicks(from: number, to: number, most: number): number[] {
  const days = (to - from) / DAY;
  const step = [1, 2, 7, 14, 28, 56, 91, 182, 364, 728].find((candidate) => days / candidate <= most) ?? Math.ceil(days / most);
  const ticks: number[] = [];
  for (let t = Math.ceil(from / DAY) * DAY; t <= to && ticks.length <= most; t += step * DAY) ticks.push(t);
  return ticks;
}

/** The band a score is in (min inclusive, max exclusive but for the top band), as the service decides it. */
function bandOf(bands: ChartBand[], score: number): ChartBand | undefined {
  return bands.find((band, index) => score >= band.min && (score < band.max || (index === bands.length - 1 && score <= band.max)));
}

export function scoreHistorySvg(chart: ScoreHistoryChart, size: Size = HISTORY_SIZE): string {
  const { width, height } = size;
  const bands = chart.bands.filter((band) => Number.isFinite(band.min) && Number.isFinite(band.max));
  const points = chart.points.filter((point) => Number.isFinite(point.score) && Number.isFinite(Date.parse(point.at)));
  const labelRoom = bands.length > 0 ? Math.min(140, Math.max(60, width * 0.16)) : 16;
  const plot = { left: 56, right: width - labelRoom, top: 68, bottom: height - 36 };

  // The value axis shows every point, every edge between two bands and the profile's range.
  const values = [
    ...points.map((point) => point.score),
    ...bands.slice(1).map((band) => band.min),
    ...(chart.range ? [chart.range.min, chart.range.max] : []),
  ];
  const low = values.length > 0 ? Math.min(...values) : 0;
  const high = values.length > 0 ? Math.max(...values) : 1;
  const scale = niceTicks(low, high, Math.max(2, Math.min(8, Math.floor((plot.bottom - plot.top) / 45))));
  const y = linear([scale.min, scale.max], [plot.bottom, plot.top]);

  const times = points.map((point) => Date.parse(point.at));
  let [first, last] = times.length > 0 ? [times[0], times[times.length - 1]] : [0, DAY];
  if (last - first < DAY) [first, last] = [first - DAY / 2, last + DAY / 2];
  const x = linear([first, last], [plot.left + 6, plot.right - 6]);
  const ticks = dateTicks(first, last, Math.max(2, Math.floor((plot.right - plot.left) / 80)));
  const spansYears = new Date(first).getUTCFullYear() !== new Date(last).getUTCFullYear();

  const clampY = (value: number) => Math.min(scale.max, Math.max(scale.min, value));
  const tints = bands.map((band) => {
    const top = y(clampY(band.max));
    const bottom = y(clampY(band.min));
    if (bottom - top <= 0) return '';
    const color = safeColor(band.color);
    return [
      element(
        'rect',
        {
          class: 'band',
          'data-band': band.name,
          x: plot.left,
          y: top,
          width: plot.right - plot.left,
          height: bottom - top,
          fill: color,
          'fill-opacity': BAND_TINT,
        },
        tooltip(`${band.name}: ${formatNumber(band.min)} to ${formatNumber(band.max)}`),
      ),
      text(fit(band.name, labelRoom - 12, 11), {
        class: 'band-name',
        x: plot.right + 8,
        y: (top + bottom) / 2 + 4,
        'font-size': 11,
        fill: color,
        'font-weight': 'bold',
      }),
    ].join('');
  });
  // Every band boundary inside the plot, in the colour of the band that starts there (the top band's end in its own).
  const edges = bands.flatMap((band, index) => {
    const boundaries = [{ value: band.min, color: band.color }];
    if (index === bands.length - 1) boundaries.push({ value: band.max, color: band.color });
    return boundaries
      .filter((edge) => edge.value >= scale.min && edge.value <= scale.max)
      .map((edge) =>
        element('line', {
          class: 'band-edge',
          'data-value': edge.value,
          x1: plot.left,
          x2: plot.right,
          y1: y(edge.value),
          y2: y(edge.value),
          stroke: safeColor(edge.color),
          'stroke-width': 1.5,
          'stroke-dasharray': '6 4',
        }),
      );
  });

  const xAxis = ticks
    .map((tick, index) =>
      [
        element('line', { x1: x(tick), x2: x(tick), y1: plot.top, y2: plot.bottom, stroke: GRID, 'stroke-width': 1, class: 'grid' }),
        text(dateLabel(tick, index === 0 || spansYears), {
          class: 'x-tick',
          x: x(tick),
          y: plot.bottom + 18,
          'font-size': 11,
          fill: MUTED,
          'text-anchor': 'middle',
        }),
      ].join(''),
    )
    .join('');

  const radius = points.length > 120 ? 1.5 : points.length > 40 ? 2.5 : 3.5;
  const line =
    points.length > 1
      ? element('polyline', {
          class: 'line',
          points: points.map((point, index) => `${x(times[index]).toFixed(2)},${y(point.score).toFixed(2)}`).join(' '),
          fill: 'none',
          stroke: INK,
          'stroke-width': 2,
          'stroke-linejoin': 'round',
        })
      : '';
  const dots = points.map((point, index) =>
    element(
      'circle',
      {
        class: 'point',
        'data-at': point.at,
        'data-score': point.score,
        cx: x(times[index]),
        cy: y(point.score),
        r: radius,
        fill: bands.length > 0 ? safeColor(bandOf(bands, point.score)?.color ?? NO_BAND_COLOR) : INK,
        stroke: INK,
        'stroke-width': 1,
      },
      tooltip(`${point.at.slice(0, 10)}: ${formatNumber(point.score)}`),
    ),
  );

  const description =
    points.length === 0
      ? 'No scores in this period.'
      : `${points.length} scores from ${points[0].at.slice(0, 10)} (${formatNumber(points[0].score)}) to ${points[points.length - 1].at.slice(0, 10)} (${formatNumber(points[points.length - 1].score)})` +
        (bands.length > 0 ? `; bands: ${bands.map((band) => `${band.name} from ${formatNumber(band.min)}`).join(', ')}` : '');
  return svgDocument(size, { title: chart.title, description }, [
    heading(chart.title, chart.subtitle, width),
    ...tints,
    yAxis(scale.ticks, y, plot),
    xAxis,
    ...edges,
    element('line', { x1: plot.left, x2: plot.right, y1: plot.bottom, y2: plot.bottom, stroke: MUTED, 'stroke-width': 1 }),
    line,
    ...dots,
  ]);
}
