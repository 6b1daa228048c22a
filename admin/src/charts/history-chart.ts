import uPlot from 'uplot';
import type { BandDefinition, HistoryPoint } from '../types';

/**
 * A contact's score over time (uPlot, its own chunk): the line, each band's range tinted and its
 * edges drawn in the band's colour, and a cursor that reports the point under it (mouse, or the
 * arrow keys once the chart has focus).
 */

export type HistoryChart = { destroy(): void; resize(width: number): void; step(by: number): void };

export function historyChart(
  parent: HTMLElement,
  options: {
    points: HistoryPoint[];
    bands: BandDefinition[];
    range?: { min: number; max: number } | null;
    width: number;
    height: number;
    onHover: (index: number | null) => void;
  },
): HistoryChart {
  const xs = options.points.map((point) => new Date(point.at).getTime() / 1000);
  const ys = options.points.map((point) => point.score);
  const bands = options.bands;
  const values = [...ys, ...bands.flatMap((band) => [band.min, band.max])];
  const low = options.range?.min ?? Math.min(0, ...values);
  const high = options.range?.max ?? Math.max(1, ...values);
  const hex = (color: string, alpha: number) => {
    const match = /^#?([0-9a-f]{6})$/i.exec(color);
    if (!match) return color;
    const value = parseInt(match[1], 16);
    return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
  };
  let index: number | null = null;
  const plot = new uPlot(
    {
      width: options.width,
      height: options.height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { size: 9 } },
      scales: { x: { time: true }, y: { range: () => [low, high] } },
      axes: [
        {
          stroke: '#4a5361',
          grid: { stroke: '#e3e7ee', width: 1 },
          ticks: { stroke: '#c9d0da', width: 1 },
          values: (_u, splits) =>
            splits.map((split) => new Date(split * 1000).toLocaleDateString('en-GB', { day: 'numeric', month: 'short' })),
        },
        { stroke: '#4a5361', grid: { stroke: '#e3e7ee', width: 1 }, ticks: { stroke: '#c9d0da', width: 1 }, size: 48 },
      ],
      series: [
        {},
        { label: 'Score', stroke: '#1f4fb5', width: 2, points: { show: options.points.length <= 60, size: 4, fill: '#1f4fb5' } },
      ],
      hooks: {
        drawClear: [
          (u) => {
            const { ctx } = u;
            const { left, width } = u.bbox;
            ctx.save();
            for (const band of bands) {
              const top = u.valToPos(Math.min(band.max, high), 'y', true);
              const bottom = u.valToPos(Math.max(band.min, low), 'y', true);
              ctx.fillStyle = hex(band.color, 0.1);
              ctx.fillRect(left, top, width, bottom - top);
            }
            ctx.restore();
          },
        ],
        draw: [
          (u) => {
            const { ctx } = u;
            const { left, width } = u.bbox;
            ctx.save();
            ctx.lineWidth = 2 * uPlot.pxRatio;
            ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
            ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
            for (const band of bands) {
              if (band.min <= low || band.min >= high) continue;
              const y = Math.round(u.valToPos(band.min, 'y', true));
              ctx.strokeStyle = band.color;
              ctx.beginPath();
              ctx.moveTo(left, y);
              ctx.lineTo(left + width, y);
              ctx.stroke();
            }
            ctx.setLineDash([]);
            ctx.textAlign = 'left';
            ctx.textBaseline = 'top';
            for (const band of bands) {
              const top = Math.max(band.max <= high ? u.valToPos(band.max, 'y', true) : u.bbox.top, u.bbox.top);
              ctx.fillStyle = '#3b4351';
              ctx.fillText(band.name, left + 6 * uPlot.pxRatio, top + 4 * uPlot.pxRatio);
            }
            ctx.restore();
          },
        ],
        setCursor: [
          (u) => {
            const next = u.cursor.idx ?? null;
            if (next !== index) {
              index = next;
              options.onHover(next);
            }
          },
        ],
      },
    },
    [xs, ys],
    parent,
  );
  return {
    destroy: () => plot.destroy(),
    resize: (width) => plot.setSize({ width, height: options.height }),
    step(by) {
      if (xs.length === 0) return;
      const next = Math.max(0, Math.min(xs.length - 1, (index ?? (by > 0 ? -1 : xs.length)) + by));
      plot.setCursor({ left: plot.valToPos(xs[next], 'x'), top: plot.valToPos(ys[next], 'y') });
    },
  };
}
