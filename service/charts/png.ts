import { renderAsync } from '@resvg/resvg-js';

/**
 * SVG to PNG with resvg (Rust, no browser), off the event loop. Text needs a font on the machine:
 * the charts ask for DejaVu Sans, Liberation Sans, Arial or Helvetica, then any sans-serif font found.
 */
export async function svgToPng(svg: string): Promise<Buffer> {
  const image = await renderAsync(svg, {
    fitTo: { mode: 'original' },
    background: '#ffffff',
    font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return image.asPng();
}
