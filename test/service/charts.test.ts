import { inflateSync } from 'node:zlib';
import type supertest from 'supertest';
import { bandDistributionSvg } from '../../service/charts/band-distribution';
import { scoreHistorySvg } from '../../service/charts/score-history';
import { escapeXml, niceTicks } from '../../service/charts/svg';
import { DAY, pointsRule, publishProfile } from '../helpers/profiles';
import { startTestService, type AuthedAgent, type TestService } from '../helpers/service';

/**
 * The charts (issue 15): the band distribution and a contact's score history as SVG and PNG, read
 * back as what they show — bars, points and band edges where the JSON answers put them, and the band
 * colours in the PNG's pixels.
 */

let service: TestService;
let reader: AuthedAgent;
let profileId: string;
const T0 = Date.parse('2026-09-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const ago = (days: number) => iso(T0 - days * DAY);

const RED = '#d64545';
const YELLOW = '#e0a800';
const GREEN = '#2e9d5b';
/** Band names are user data: one of them needs escaping. */
const WARM = 'Warm & <cosy>';
const bands = [
  { name: 'Needs attention', min: 0, max: 40, color: RED },
  { name: WARM, min: 40, max: 70, color: YELLOW },
  { name: 'Healthy', min: 70, max: 100, color: GREEN },
];
const SCRIPT_NAME = '<script>alert("x")</script> & Ada';

beforeAll(async () => {
  service = await startTestService();
  service.clock.set(iso(T0));
  const admin = service.as(await service.key('admin', 'charts'));
  reader = service.as(await service.key('reader', 'charts'));
  profileId = await publishProfile(
    service,
    {
      name: 'Weekly',
      kind: 'points',
      rules: [pointsRule('Payment', 'payment', 20), pointsRule('Complaint', 'complaint', -15)],
      window: { days: 30 },
      range: { min: 0, max: 100 },
      bands,
    },
    admin,
  );
  await admin.post('/v1/contacts/batch', {
    contacts: [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }, { id: 'e', name: SCRIPT_NAME }, { id: 'f' }, { id: 'g' }],
  });
  const payments = (contactId: string, count: number, days: number) =>
    Array.from({ length: count }, (_, index) => ({
      id: `${contactId}-${days}-${index}`,
      contactId,
      type: 'payment',
      occurredAt: iso(T0 - days * DAY - 3_600_000),
    }));
  const recorded = await admin.post('/v1/interactions', {
    interactions: [
      { id: 'a-1', contactId: 'a', type: 'complaint', occurredAt: ago(20) },
      { id: 'b-1', contactId: 'b', type: 'complaint', occurredAt: ago(20) },
      ...payments('c', 1, 20),
      ...payments('d', 2, 3),
      ...payments('e', 2, 10),
      ...payments('e', 2, 2),
      ...payments('f', 4, 1),
      ...payments('g', 2, 20),
    ],
  });
  expect(recorded.status).toBe(200);
});
afterAll(() => service.close());

// ---------------------------------------------------------------------------------------------
// Reading the answers back

type Answer = { status: number; type: string; headers: Record<string, string>; body: Buffer };

/** GETs a chart as bytes (whatever its type), optionally with an Accept header. */
async function get(path: string, accept?: string, agent: AuthedAgent = reader): Promise<Answer> {
  let request: supertest.Test = agent.get(path);
  if (accept !== undefined) request = request.set('Accept', accept);
  const response = await request.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
  return {
    status: response.status,
    type: String(response.headers['content-type']),
    headers: response.headers,
    body: response.body as Buffer,
  };
}

type Element = { name: string; attributes: Record<string, string>; text: string };

const unescape = (value: string) =>
  value.replace(/&(lt|gt|quot|#39|amp);/g, (_, entity: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[entity]!);

/** The elements of an SVG with a class (or all of one name), with their attributes and text unescaped. */
function elements(svg: string, selector: { name?: string; className?: string }): Element[] {
  const found: Element[] = [];
  for (const match of svg.matchAll(/<(\w+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/>|>([^<]*))/g)) {
    const attributes = Object.fromEntries([...match[2].matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, key, value]) => [key, unescape(value)]));
    if (selector.name && match[1] !== selector.name) continue;
    if (selector.className && attributes.class !== selector.className) continue;
    found.push({ name: match[1], attributes, text: unescape(match[4] ?? '') });
  }
  return found;
}

const num = (element: Element, attribute: string) => Number(element.attributes[attribute]);

/** A PNG's pixels (8-bit RGB or RGBA, not interlaced: what resvg writes), decoded here so the test trusts no renderer. */
function decodePng(png: Buffer) {
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  let offset = 8;
  let header: Buffer | undefined;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('ascii', offset + 4, offset + 8);
    const chunk = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') header = chunk;
    if (type === 'IDAT') data.push(chunk);
    offset += 12 + length;
  }
  const width = header!.readUInt32BE(0);
  const height = header!.readUInt32BE(4);
  expect({ bitDepth: header![8], interlace: header![12] }).toEqual({ bitDepth: 8, interlace: 0 });
  const channels = ({ 2: 3, 6: 4 } as Record<number, number>)[header![9]];
  if (!channels) throw new Error(`colour type ${header![9]} is not decoded here`);
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(height * stride);
  for (let row = 0; row < height; row++) {
    const filter = raw[row * (stride + 1)];
    const source = row * (stride + 1) + 1;
    const target = row * stride;
    for (let column = 0; column < stride; column++) {
      const left = column >= channels ? pixels[target + column - channels] : 0;
      const up = row > 0 ? pixels[target - stride + column] : 0;
      let predictor = 0;
      if (filter === 1) predictor = left;
      else if (filter === 2) predictor = up;
      else if (filter === 3) predictor = (left + up) >> 1;
      else if (filter === 4) {
        const upLeft = row > 0 && column >= channels ? pixels[target - stride + column - channels] : 0;
        const p = left + up - upLeft;
        const pa = Math.abs(p - left);
        const pb = Math.abs(p - up);
        const pc = Math.abs(p - upLeft);
        predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      }
      pixels[target + column] = (raw[source + column] + predictor) & 0xff;
    }
  }
  const hex = (x: number, y: number) => {
    const start = Math.round(y) * stride + Math.round(x) * channels;
    return `#${[...pixels.subarray(start, start + 3)].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
  };
  return {
    width,
    height,
    hex,
    /** The most frequent colour of a (2r+1)² patch: grid lines and anti-aliased edges do not decide it. */
    patch(x: number, y: number, r = 3) {
      const counts = new Map<string, number>();
      for (let dy = -r; dy <= r; dy++)
        for (let dx = -r; dx <= r; dx++) counts.set(hex(x + dx, y + dy), (counts.get(hex(x + dx, y + dy)) ?? 0) + 1);
      return [...counts.entries()].sort((p, q) => q[1] - p[1])[0][0];
    },
  };
}

/** `color` at `opacity` over white, as the renderer blends it. */
function overWhite(color: string, opacity: number): string {
  const channels = [1, 3, 5].map((index) => parseInt(color.slice(index, index + 2), 16));
  return `#${channels
    .map((channel) =>
      Math.round(255 + (channel - 255) * opacity)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}

/** Colours equal up to rounding in the renderer. */
function near(actual: string, expected: string, tolerance = 3): boolean {
  return [1, 3, 5].every(
    (index) => Math.abs(parseInt(actual.slice(index, index + 2), 16) - parseInt(expected.slice(index, index + 2), 16)) <= tolerance,
  );
}

// ---------------------------------------------------------------------------------------------

describe('GET /v1/profiles/{id}/insights/chart', () => {
  // Now: a 0, b 0, c 20, d 40, e 80, f 80, g 40. Seven days ago: a 0, b 0, c 20, d 0, e 40, f 0, g 40.
  const expected = [
    { band: 'Needs attention', color: RED, count: 3, previousCount: 5 },
    { band: WARM, color: YELLOW, count: 2, previousCount: 2 },
    { band: 'Healthy', color: GREEN, count: 2, previousCount: 0 },
  ];

  it('draws the JSON review’s distribution: a pair of bars per band, heights in proportion to the counts, in the band colours', async () => {
    const review = await reader.get(`/v1/profiles/${profileId}/insights?days=7`).expect(200);
    expect(review.body.distribution).toEqual(expected);

    const answer = await get(`/v1/profiles/${profileId}/insights/chart?days=7`);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('image/svg+xml; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('private, max-age=60');
    expect(answer.headers.vary).toMatch(/Accept/);
    const svg = answer.body.toString('utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="720" height="400"')).toBe(true);

    const bars = elements(svg, { name: 'rect', className: 'bar' });
    expect(bars).toHaveLength(6);
    expect(
      bars.map((bar) => [bar.attributes['data-series'], bar.attributes['data-band'], num(bar, 'data-count'), bar.attributes.fill]),
    ).toEqual(
      expected.flatMap((band) => [
        ['previous', band.band, band.previousCount, band.color],
        ['now', band.band, band.count, band.color],
      ]),
    );
    // Heights in proportion to the counts, all standing on the same baseline.
    const unit = num(bars[1], 'height') / 3;
    expect(unit).toBeGreaterThan(10);
    for (const bar of bars) {
      expect(num(bar, 'height')).toBeCloseTo(num(bar, 'data-count') * unit, 1);
      expect(num(bar, 'y') + num(bar, 'height')).toBeCloseTo(num(bars[0], 'y') + num(bars[0], 'height'), 1);
    }
    // The earlier bar is the paler one, left of the bar of now; pairs from left to right in band order.
    expect(
      bars.filter((bar) => bar.attributes['data-series'] === 'previous').every((bar) => bar.attributes['fill-opacity'] === '0.4'),
    ).toBe(true);
    expect(bars.filter((bar) => bar.attributes['data-series'] === 'now').every((bar) => bar.attributes['fill-opacity'] === undefined)).toBe(
      true,
    );
    const xs = bars.map((bar) => num(bar, 'x'));
    expect([...xs].sort((p, q) => p - q)).toEqual(xs);

    // Labels: every count above its bar, the band names (escaped, read back as text), the legend, the title.
    expect(elements(svg, { className: 'count' }).map((label) => Number(label.text))).toEqual(
      expected.flatMap((band) => [band.previousCount, band.count]),
    );
    expect(elements(svg, { className: 'band-name' }).map((label) => label.text)).toEqual(expected.map((band) => band.band));
    expect(elements(svg, { className: 'legend' }).map((label) => label.text)).toEqual(['7 days ago', 'now']);
    expect(elements(svg, { className: 'chart-title' })[0].text).toBe('Weekly: contacts by band');
    expect(elements(svg, { className: 'chart-subtitle' })[0].text).toMatch(
      /^7 contacts · now \(2026-09-01\) and 7 days ago \(2026-08-25\)$/,
    );
    expect(svg).toContain('data-band="Warm &amp; &lt;cosy&gt;"');
    expect(svg).not.toContain('<cosy>');
  });

  it('follows `days` as the review does', async () => {
    const review = await reader.get(`/v1/profiles/${profileId}/insights?days=2`).expect(200);
    const svg = (await get(`/v1/profiles/${profileId}/insights/chart?days=2`)).body.toString('utf8');
    const previous = elements(svg, { className: 'bar' }).filter((bar) => bar.attributes['data-series'] === 'previous');
    expect(previous.map((bar) => num(bar, 'data-count'))).toEqual(
      review.body.distribution.map((band: { previousCount: number }) => band.previousCount),
    );
    // Two days ago d was Warm already, e Healthy already, f had nothing yet: not what a week ago shows.
    expect(previous.map((bar) => num(bar, 'data-count'))).toEqual([4, 2, 1]);
    expect(elements(svg, { className: 'legend' })[0].text).toBe('2 days ago');
    expect((await get(`/v1/profiles/${profileId}/insights/chart?days=0`)).status).toBe(400);
  });

  it('renders a PNG of the requested size with the band colours where the bars are', async () => {
    const size = 'width=600&height=320';
    const svg = (await get(`/v1/profiles/${profileId}/insights/chart?${size}`)).body.toString('utf8');
    const answer = await get(`/v1/profiles/${profileId}/insights/chart?${size}&format=png`);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('image/png');
    expect(answer.headers['content-disposition']).toMatch(/^inline; filename="insights-2026-09-01-7d\.png"$/);
    const image = decodePng(answer.body);
    expect([image.width, image.height]).toEqual([600, 320]);
    const bars = elements(svg, { name: 'rect', className: 'bar' });
    for (const bar of bars.filter((candidate) => num(candidate, 'data-count') > 0)) {
      const center = [num(bar, 'x') + num(bar, 'width') / 2, num(bar, 'y') + num(bar, 'height') / 2] as const;
      const color = bar.attributes['data-series'] === 'now' ? bar.attributes.fill : overWhite(bar.attributes.fill, 0.4);
      expect({
        bar: bar.attributes['data-band'],
        series: bar.attributes['data-series'],
        near: near(image.patch(...center), color),
      }).toEqual({
        bar: bar.attributes['data-band'],
        series: bar.attributes['data-series'],
        near: true,
      });
    }
    // Above the bar of Healthy 7 days ago (0 contacts) is background, not green.
    const empty = bars.find((bar) => bar.attributes['data-band'] === 'Healthy' && bar.attributes['data-series'] === 'previous')!;
    expect(image.patch(num(empty, 'x') + num(empty, 'width') / 2, num(empty, 'y') - 40)).toBe('#ffffff');
  });
});

describe('GET /v1/profiles/{id}/scores/{contactId}/chart', () => {
  const path = (contactId: string, query = '') =>
    `/v1/profiles/${profileId}/scores/${contactId}/chart?from=${ago(14)}&to=${ago(0)}${query}`;

  it('draws the history’s points where their dates and scores are, the line through them, and every band edge', async () => {
    const history = await reader.get(`/v1/profiles/${profileId}/scores/e/history?from=${ago(14)}&to=${ago(0)}`).expect(200);
    const scores = history.body.points.map((point: { score: number }) => point.score);
    // Two payments 10 days ago, two more 2 days ago.
    expect(scores).toEqual([0, 0, 0, 0, 40, 40, 40, 40, 40, 40, 40, 40, 80, 80, 80]);

    const answer = await get(path('e'), 'image/svg+xml');
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('image/svg+xml; charset=utf-8');
    const svg = answer.body.toString('utf8');
    const points = elements(svg, { name: 'circle', className: 'point' });
    expect(points.map((point) => [point.attributes['data-at'], num(point, 'data-score')])).toEqual(
      history.body.points.map((point: { at: string; score: number }) => [point.at, point.score]),
    );

    // Band edges: each boundary in the colour of the band starting there (the top one in its own).
    const edges = elements(svg, { name: 'line', className: 'band-edge' });
    expect(edges.map((edge) => [num(edge, 'data-value'), edge.attributes.stroke])).toEqual([
      [0, RED],
      [40, YELLOW],
      [70, GREEN],
      [100, GREEN],
    ]);
    const edgeY = (value: number) =>
      num(
        edges.find((edge) => num(edge, 'data-value') === value)!,
        'y1',
      );
    expect(edgeY(0)).toBeGreaterThan(edgeY(40));
    expect((edgeY(0) - edgeY(40)) / (edgeY(0) - edgeY(70))).toBeCloseTo(40 / 70, 5);
    expect(elements(svg, { name: 'rect', className: 'band' }).map((band) => [band.attributes['data-band'], band.attributes.fill])).toEqual(
      bands.map((band) => [band.name, band.color]),
    );

    // Points: y from the score on the same scale as the edges, x evenly spaced by date, left to right.
    const perPoint = (edgeY(0) - edgeY(100)) / 100;
    for (const point of points) expect(num(point, 'cy')).toBeCloseTo(edgeY(0) - num(point, 'data-score') * perPoint, 1);
    const step = (num(points[14], 'cx') - num(points[0], 'cx')) / 14;
    expect(step).toBeGreaterThan(10);
    points.forEach((point, index) => expect(num(point, 'cx')).toBeCloseTo(num(points[0], 'cx') + index * step, 1));
    // Each point is filled with its band's colour.
    expect(points.map((point) => point.attributes.fill)).toEqual(
      scores.map((score: number) => (score >= 70 ? GREEN : score >= 40 ? YELLOW : RED)),
    );

    const line = elements(svg, { name: 'polyline', className: 'line' });
    expect(line).toHaveLength(1);
    const vertices = line[0].attributes.points.split(' ').map((pair) => pair.split(',').map(Number));
    expect(vertices).toHaveLength(15);
    vertices.forEach(([x, y], index) => {
      expect(x).toBeCloseTo(num(points[index], 'cx'), 1);
      expect(y).toBeCloseTo(num(points[index], 'cy'), 1);
    });

    // Axes: dates under the plot, values on the left.
    expect(elements(svg, { className: 'x-tick' }).map((tick) => tick.text)).toContain('25 Aug');
    expect(elements(svg, { className: 'y-tick' }).map((tick) => Number(tick.text))).toEqual(expect.arrayContaining([0, 40, 80, 100]));
    expect(elements(svg, { className: 'band-name' }).map((label) => label.text)).toEqual(['Needs attention', WARM, 'Healthy']);
  });

  it('writes a contact’s name as text, never as markup', async () => {
    const svg = (await get(path('e'))).body.toString('utf8');
    expect(svg).not.toMatch(/<script/i);
    expect(svg).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Ada');
    expect(elements(svg, { className: 'chart-title' })[0].text).toBe(`${SCRIPT_NAME}: Weekly`);
    expect(elements(svg, { name: 'title' })[0].text).toBe(`${SCRIPT_NAME}: Weekly`);
    // The same document renders (resvg refuses malformed XML).
    const png = await get(path('e', '&format=png'));
    expect(png.status).toBe(200);
  });

  it('renders a PNG of the requested size with the bands’ tints behind the line', async () => {
    const size = '&width=500&height=300';
    const svg = (await get(path('e', size))).body.toString('utf8');
    const answer = await get(path('e', size), 'image/png');
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('image/png');
    const image = decodePng(answer.body);
    expect([image.width, image.height]).toEqual([500, 300]);
    const edges = elements(svg, { name: 'line', className: 'band-edge' });
    const edgeY = (value: number) =>
      num(
        edges.find((edge) => num(edge, 'data-value') === value)!,
        'y1',
      );
    const points = elements(svg, { name: 'circle', className: 'point' });
    // Inside each band, between the first and second points (the line runs along 0 there), off the grid lines.
    const x = num(points[0], 'cx') + (num(points[1], 'cx') - num(points[0], 'cx')) / 4;
    expect(near(image.patch(x, (edgeY(70) + edgeY(100)) / 2), overWhite(GREEN, 0.14))).toBe(true);
    expect(near(image.patch(x, (edgeY(40) + edgeY(70)) / 2), overWhite(YELLOW, 0.14))).toBe(true);
    expect(near(image.patch(x, (edgeY(0) + edgeY(40)) / 2 + 5), overWhite(RED, 0.14))).toBe(true);
    // A point of the last days, in Healthy: filled green.
    expect(near(image.patch(num(points[13], 'cx'), num(points[13], 'cy'), 1), GREEN, 6)).toBe(true);
  });

  it('reads its own writes with consistency=', async () => {
    const written = await service.as(await service.key('writer', 'charts')).post('/v1/interactions', {
      interactions: [{ id: 'g-now', contactId: 'g', type: 'payment', occurredAt: iso(T0) }],
    });
    const svg = (await get(`/v1/profiles/${profileId}/scores/g/chart?consistency=${written.body.token}`)).body.toString('utf8');
    const points = elements(svg, { name: 'circle', className: 'point' });
    expect(num(points[points.length - 1], 'data-score')).toBe(60);
  });
});

describe('formats, sizes and errors', () => {
  const chart = () => `/v1/profiles/${profileId}/insights/chart`;

  it('picks the format from format= first, then Accept, else SVG', async () => {
    const cases: Array<[query: string, accept: string | undefined, type: string]> = [
      ['', undefined, 'image/svg+xml; charset=utf-8'],
      ['', '*/*', 'image/svg+xml; charset=utf-8'],
      ['', 'image/*', 'image/svg+xml; charset=utf-8'],
      ['', 'image/png', 'image/png'],
      ['', 'text/html,image/png;q=0.9,image/svg+xml;q=0.5', 'image/png'],
      ['', 'image/png;q=0.4, image/svg+xml', 'image/svg+xml; charset=utf-8'],
      ['?format=png', 'image/svg+xml', 'image/png'],
      ['?format=svg', 'image/png', 'image/svg+xml; charset=utf-8'],
      ['?format=png', 'application/json', 'image/png'],
    ];
    for (const [query, accept, type] of cases) {
      const answer = await get(`${chart()}${query}`, accept);
      expect({ query, accept, status: answer.status, type: answer.type }).toEqual({ query, accept, status: 200, type });
      expect(answer.body.subarray(0, 4).toString('latin1')).toBe(type === 'image/png' ? '\x89PNG' : '<svg');
    }
  });

  it('answers 406 when Accept allows neither, 400 for an unknown format or a size out of bounds', async () => {
    const refused = await get(chart(), 'application/json');
    expect(refused.status).toBe(406);
    expect(refused.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(refused.body.toString('utf8'))).toMatchObject({
      status: 406,
      title: 'Not Acceptable',
      detail: expect.stringContaining('format=png'),
    });
    expect((await get(chart(), 'image/webp')).status).toBe(406);

    const gif = await get(`${chart()}?format=gif`);
    expect(gif.status).toBe(400);
    expect(JSON.parse(gif.body.toString('utf8')).errors).toEqual([expect.objectContaining({ path: 'format' })]);
    for (const query of ['width=100', 'width=2001', 'height=199', 'height=1201', 'width=abc'])
      expect({ query, status: (await get(`${chart()}?${query}`)).status }).toEqual({ query, status: 400 });
    const large = await get(`${chart()}?width=2000&height=1200&format=png`);
    expect(decodePng(large.body)).toMatchObject({ width: 2000, height: 1200 });
    const small = (await get(`${chart()}?width=320&height=200`)).body.toString('utf8');
    expect(small).toMatch(/^<svg [^>]*width="320" height="200"/);
  });

  it('answers 404 problem+json for an unknown profile or contact, in either format', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const path of [
      `/v1/profiles/${unknown}/insights/chart`,
      `/v1/profiles/${unknown}/insights/chart?format=png`,
      `/v1/profiles/${unknown}/scores/e/chart`,
      `/v1/profiles/${profileId}/scores/nobody/chart`,
      `/v1/profiles/${profileId}/scores/nobody/chart?format=png`,
    ]) {
      const answer = await get(path, 'image/png');
      expect({ path, status: answer.status, type: answer.type }).toEqual({
        path,
        status: 404,
        type: expect.stringMatching(/^application\/problem\+json/),
      });
    }
    // Another workspace's profile is unknown here too.
    const stranger = service.as(await service.key('reader', 'elsewhere'));
    expect((await get(`/v1/profiles/${profileId}/insights/chart`, undefined, stranger)).status).toBe(404);
  });

  it('needs a key (any reading role)', async () => {
    expect((await service.http.get(chart())).status).toBe(401);
    expect((await get(chart(), undefined, service.as(await service.key('automation', 'charts')))).status).toBe(200);
  });

  it('is documented in /openapi.json as SVG or PNG', async () => {
    const { body: document } = await service.http.get('/openapi.json');
    for (const [path, operationId] of [
      ['/v1/profiles/{id}/insights/chart', 'getInsightsChart'],
      ['/v1/profiles/{id}/scores/{contactId}/chart', 'getScoreChart'],
    ]) {
      const operation = document.paths[path].get;
      expect(operation.operationId).toBe(operationId);
      expect(Object.keys(operation.responses['200'].content)).toEqual(['image/svg+xml', 'image/png']);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '404', '406']));
      expect(operation.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(
        expect.arrayContaining(['format', 'width', 'height', 'consistency']),
      );
    }
  });
});

describe('the chart modules, without HTTP', () => {
  it('escape every text, including characters XML does not allow', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(escapeXml('a\u0000b\ud800c\u{1F600}')).toBe('a\uFFFDb\uFFFDc\u{1F600}');
    const svg = bandDistributionSvg({
      title: '</text><script>x</script>',
      days: 1,
      bars: [{ band: '"><script>', color: '" onload="x', count: 1, previousCount: 0 }],
    });
    expect(svg).not.toMatch(/<script|onload="/);
    // A colour that is not #rrggbb is not written at all: the neutral grey instead.
    expect(elements(svg, { className: 'bar' }).map((bar) => bar.attributes.fill)).toEqual(['#9aa5b1', '#9aa5b1']);
  });

  it('draw an empty series and a single point without failing', () => {
    const empty = scoreHistorySvg({ title: 'Empty', points: [], bands: [] });
    expect(elements(empty, { className: 'point' })).toHaveLength(0);
    const one = scoreHistorySvg({ title: 'One', points: [{ at: '2026-09-01T00:00:00.000Z', score: 5 }], bands: [] });
    expect(elements(one, { className: 'point' })).toHaveLength(1);
    expect(elements(one, { className: 'line' })).toHaveLength(0);
    const none = bandDistributionSvg({ title: 'None', days: 7, bars: [{ band: null, color: null, count: 0, previousCount: 0 }] });
    expect(elements(none, { className: 'bar' }).map((bar) => num(bar, 'height'))).toEqual([0, 0]);
  });

  it('choose round ticks', () => {
    expect(niceTicks(0, 5, 5, true).ticks).toEqual([0, 1, 2, 3, 4, 5]);
    expect(niceTicks(0, 83, 5).ticks).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(-3.2, 7.9, 6).ticks).toEqual([-4, -2, 0, 2, 4, 6, 8]);
    expect(niceTicks(0.1, 0.3, 2).ticks).toEqual([0.1, 0.2, 0.3]);
  });
});
