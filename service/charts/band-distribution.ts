import { element, heading, fit, INK, linear, MUTED, niceTicks, safeColor, svgDocument, text, tooltip, yAxis, type Size } from './svg';

/**
 * How many contacts are in each band now and `days` ago (GET /v1/profiles/{id}/insights): per band a
 * pair of bars in the band's colour, the earlier one paler, each with its count above it and the
 * band's name under the pair.
 */

export type DistributionBar = {
  /** null: contacts outside every band. */
  band: string | null;
  color: string | null;
  count: number;
  previousCount: number;
};

export type BandDistributionChart = {
  title: string;
  subtitle?: string;
  days: number;
  bars: DistributionBar[];
};

export const DISTRIBUTION_SIZE: Size = { width: 720, height: 400 };

/** How pale the bar of `days` ago is. */
export const PREVIOUS_OPACITY = 0.4;

const bandLabel = (bar: DistributionBar) => bar.band ?? 'No band';

export function bandDistributionSvg(chart: BandDistributionChart, size: Size = DISTRIBUTION_SIZE): string {
  const { width, height } = size;
  const ago = `${chart.days} ${chart.days === 1 ? 'day' : 'days'} ago`;
  const plot = { left: 52, right: width - 16, top: 92, bottom: height - 40 };
  const highest = Math.max(1, ...chart.bars.flatMap((bar) => [bar.count, bar.previousCount]));
  const scale = niceTicks(0, highest, Math.max(2, Math.min(6, Math.floor((plot.bottom - plot.top) / 50))), true);
  const y = linear([0, scale.max], [plot.bottom, plot.top]);

  const groupWidth = (plot.right - plot.left) / Math.max(1, chart.bars.length);
  const barWidth = Math.max(2, Math.min(64, (groupWidth * 0.7) / 2));
  const bars = chart.bars.map((bar, index) => {
    const color = safeColor(bar.color);
    const center = plot.left + groupWidth * (index + 0.5);
    const one = (series: 'previous' | 'now', count: number, x: number) => {
      const top = y(count);
      return [
        element(
          'rect',
          {
            class: 'bar',
            'data-series': series,
            'data-band': bandLabel(bar),
            'data-count': count,
            x,
            y: top,
            width: barWidth,
            height: plot.bottom - top,
            fill: color,
            'fill-opacity': series === 'previous' ? PREVIOUS_OPACITY : null,
            stroke: series === 'previous' ? color : null,
            'stroke-width': series === 'previous' ? 1 : null,
          },
          tooltip(`${bandLabel(bar)}, ${series === 'now' ? 'now' : ago}: ${count}`),
        ),
        text(String(count), {
          class: 'count',
          x: x + barWidth / 2,
          y: top - 5,
          'font-size': 12,
          fill: INK,
          'text-anchor': 'middle',
        }),
      ].join('');
    };
    return [
      one('previous', bar.previousCount, center - barWidth - 1),
      one('now', bar.count, center + 1),
      text(fit(bandLabel(bar), groupWidth - 8, 12), {
        class: 'band-name',
        x: center,
        y: plot.bottom + 20,
        'font-size': 12,
        fill: INK,
        'text-anchor': 'middle',
      }),
    ].join('');
  });

  const legend = [
    element('rect', { x: 16, y: 62, width: 12, height: 12, fill: MUTED, 'fill-opacity': PREVIOUS_OPACITY, stroke: MUTED }),
    text(ago, { x: 34, y: 72, 'font-size': 12, fill: INK, class: 'legend' }),
    element('rect', { x: 130, y: 62, width: 12, height: 12, fill: MUTED }),
    text('now', { x: 148, y: 72, 'font-size': 12, fill: INK, class: 'legend' }),
  ].join('');

  const description = chart.bars.map((bar) => `${bandLabel(bar)}: ${bar.count} now, ${bar.previousCount} ${ago}`).join('; ');
  return svgDocument(size, { title: chart.title, description }, [
    heading(chart.title, chart.subtitle, width),
    legend,
    yAxis(scale.ticks, y, plot),
    ...bars,
    element('line', { x1: plot.left, x2: plot.right, y1: plot.bottom, y2: plot.bottom, stroke: MUTED, 'stroke-width': 1 }),
  ]);
}
