import type { Request, Response } from 'express';
import { z } from 'zod/v4';
import { Problem } from '../http/problem';
import { svgToPng } from './png';
import type { Size } from './svg';

/**
 * What both chart routes share: the `format`, `width` and `height` query parameters, picking SVG or
 * PNG (the query wins over `Accept`; SVG when neither says), and sending the image.
 */

export const CHART_MEDIA_TYPES = { svg: 'image/svg+xml', png: 'image/png' } as const;
export type ChartFormat = keyof typeof CHART_MEDIA_TYPES;

export const SIZE_BOUNDS = { width: { min: 320, max: 2000 }, height: { min: 200, max: 1200 } } as const;

export const chartQuery = (defaults: Size) => ({
  format: z.enum(['svg', 'png']).optional().describe('svg or png; wins over the Accept header (default: from Accept, else svg)'),
  width: z.coerce
    .number()
    .int()
    .min(SIZE_BOUNDS.width.min)
    .max(SIZE_BOUNDS.width.max)
    .default(defaults.width)
    .describe(`Pixels (${SIZE_BOUNDS.width.min}–${SIZE_BOUNDS.width.max}, default ${defaults.width})`),
  height: z.coerce
    .number()
    .int()
    .min(SIZE_BOUNDS.height.min)
    .max(SIZE_BOUNDS.height.max)
    .default(defaults.height)
    .describe(`Pixels (${SIZE_BOUNDS.height.min}–${SIZE_BOUNDS.height.max}, default ${defaults.height})`),
});

/** The documented answer of a chart route: the image itself, not JSON (openapi.ts reads `mediaTypes`). */
export const chartResponse = z.string().meta({
  description: 'The chart as SVG or PNG, as `format` or `Accept` asked',
  mediaTypes: Object.values(CHART_MEDIA_TYPES),
});

/** The format asked for: `format=` if given, else the best of `Accept` (SVG for none or any); 406 when Accept allows neither. */
export function chartFormat(req: Request, format: ChartFormat | undefined): ChartFormat {
  if (format) return format;
  const accepted = req.accepts(Object.values(CHART_MEDIA_TYPES));
  if (accepted === CHART_MEDIA_TYPES.png) return 'png';
  if (accepted === CHART_MEDIA_TYPES.svg) return 'svg';
  throw new Problem(
    406,
    'Not Acceptable',
    `This chart is served as image/svg+xml or image/png; the Accept header (${req.get('accept') ?? ''}) allows neither. Send one of them, or add ?format=svg or ?format=png.`,
  );
}

/** Sends the chart: the SVG as it is or rendered to PNG, not kept by shared caches, named for downloads and attachments. */
export async function sendChart(res: Response, svg: string, format: ChartFormat, name: string): Promise<void> {
  const body = format === 'png' ? await svgToPng(svg) : Buffer.from(svg, 'utf8');
  res
    .status(200)
    .set({
      'Content-Type': format === 'png' ? 'image/png' : 'image/svg+xml; charset=utf-8',
      'Cache-Control': 'private, max-age=60',
      Vary: 'Accept',
      'Content-Disposition': `inline; filename="${name.replace(/[^\w.-]/g, '_')}.${format}"`,
      // An SVG opened on its own is a document: it may style itself, never run anything.
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
      'X-Content-Type-Options': 'nosniff',
    })
    .send(body);
}
