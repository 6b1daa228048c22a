/**
 * The drawing primitives the charts are made of: SVG elements as strings, with every attribute value
 * and every text escaped (band names, contact names and profile names are user data), plus the scales
 * and tick choices both charts share. No DOM, no dependency: plain data in, an SVG document out.
 */

export type Size = { width: number; height: number };

export type Attributes = Record<string, string | number | null | undefined>;

/** Characters XML 1.0 does not allow at all (controls, lone surrogates, U+FFFE/U+FFFF): shown as U+FFFD. */
const notXml = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside an element or a quoted attribute value. */
export function escapeXml(value: string): string {
  return value.replace(notXml, '\uFFFD').replace(/[&<>"']/g, (character) => entities[character]);
}

/** Coordinates with at most 2 decimals, so documents stay small and stable. */
export const px = (value: number): number => Math.round(value * 100) / 100;

function attributeList(attributes: Attributes): string {
  return Object.entries(attributes)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([name, value]) => ` ${name}="${escapeXml(typeof value === 'number' ? String(px(value)) : value!)}"`)
    .join('');
}

/** An element whose children are already markup (built with these functions). */
export function element(name: string, attributes: Attributes = {}, children: string | string[] = []): string {
  const inner = Array.isArray(children) ? children.join('') : children;
  return inner === '' ? `<${name}${attributeList(attributes)}/>` : `<${name}${attributeList(attributes)}>${inner}</${name}>`;
}

/** A text element: `content` is escaped. */
export function text(content: string, attributes: Attributes = {}): string {
  return `<text${attributeList(attributes)}>${escapeXml(content)}</text>`;
}

/** A tooltip for the enclosing element (and what screen readers say for it). */
export const tooltip = (content: string) => `<title>${escapeXml(content)}</title>`;

export const FONT = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';
export const INK = '#1f2933';
export const MUTED = '#616e7c';
export const GRID = '#e4e7eb';
/** Bars and points outside every band. */
export const NO_BAND_COLOR = '#9aa5b1';

/** A band colour as profiles give it (#rrggbb), or the neutral grey for anything else. */
export const safeColor = (color: string | null | undefined): string =>
  color && /^#[0-9a-fA-F]{6}$/.test(color) ? color.toLowerCase() : NO_BAND_COLOR;

/** The whole document: white background, a title and a description for screen readers. */
export function svgDocument(size: Size, label: { title: string; description: string }, body: string[]): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size.width}" height="${size.height}" viewBox="0 0 ${size.width} ${size.height}"` +
    ` role="img" aria-labelledby="chart-title chart-desc" font-family="${escapeXml(FONT)}">` +
    `<title id="chart-title">${escapeXml(label.title)}</title>` +
    `<desc id="chart-desc">${escapeXml(label.description)}</desc>` +
    element('rect', { x: 0, y: 0, width: size.width, height: size.height, fill: '#ffffff' }) +
    body.join('') +
    '</svg>'
  );
}

/** The title (bold) and subtitle lines at the top left. */
export function heading(title: string, subtitle: string | undefined, width: number): string {
  return [
    text(fit(title, width - 32, 17), { x: 16, y: 28, 'font-size': 17, 'font-weight': 'bold', fill: INK, class: 'chart-title' }),
    subtitle ? text(fit(subtitle, width - 32, 12), { x: 16, y: 48, 'font-size': 12, fill: MUTED, class: 'chart-subtitle' }) : '',
  ].join('');
}

/** Shortens a text with an ellipsis so that it fits about `width` pixels at `fontSize` (an estimate: no font metrics here). */
export function fit(value: string, width: number, fontSize: number): string {
  const characters = [...value];
  const room = Math.max(1, Math.floor(width / (fontSize * 0.6)));
  return characters.length <= room ? value : `${characters.slice(0, Math.max(1, room - 1)).join('')}…`;
}

/** A number as a label: at most 2 decimals, no trailing zeros. */
export function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** A linear map from a domain to pixels. */
export function linear(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** Round tick values covering [min, max] with about `count` steps of 1, 2 or 5 × 10^n (`integers`: steps of at least 1). */
export function niceTicks(min: number, max: number, count: number, integers = false): { min: number; max: number; ticks: number[] } {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { min: 0, max: 1, ticks: [0, 1] };
  if (max - min < 1e-9) {
    const pad = Math.abs(min) > 1 ? Math.abs(min) * 0.1 : 1;
    [min, max] = [min - pad, max + pad];
  }
  const rough = (max - min) / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rough) ?? 10 * magnitude;
  if (integers) step = Math.max(1, Math.round(step));
  const low = Math.floor(min / step + 1e-9) * step;
  const high = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let index = 0; low + index * step <= high + step * 1e-9 && index <= 100; index++) ticks.push(roundTo(low + index * step, step));
  return { min: low, max: high, ticks };
}

/** Removes floating-point noise (0.30000000000000004) at the step's precision. */
function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(decimals, 12)));
}

/** Horizontal grid lines and their labels on the left of the plot. */
export function yAxis(ticks: number[], y: (value: number) => number, plot: { left: number; right: number }): string {
  return ticks
    .map((tick) =>
      [
        element('line', { x1: plot.left, x2: plot.right, y1: y(tick), y2: y(tick), stroke: GRID, 'stroke-width': 1, class: 'grid' }),
        text(formatNumber(tick), { x: plot.left - 6, y: y(tick) + 4, 'font-size': 11, fill: MUTED, 'text-anchor': 'end', class: 'y-tick' }),
      ].join(''),
    )
    .join('');
}
