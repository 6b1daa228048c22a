// Builds the admin console (admin/src) into dist/admin: index.html and content-hashed assets in
// dist/admin/assets, which the service serves under /admin/ (service/http/console.ts).
//
//   node admin/build.mjs            build (minified)
//   node admin/build.mjs --report   build and print what the first load costs, gzipped
//
// esbuild bundles TypeScript/JSX (Preact) into ES modules with code splitting: the JSON editor
// (CodeMirror) and the charts (uPlot) are separate chunks loaded when a page first needs them.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

/**
 * Two modules of codemirror-json-schema are replaced with smaller ones of ours:
 * - its Markdown renderer (markdown-it, with shiki to highlight code, whose WebAssembly regex engine
 *   the console's CSP refuses — no 'wasm-unsafe-eval' — for ~1 MB of JavaScript): the profile
 *   schema's descriptions are plain sentences, so src/editor/markdown.ts escapes them and renders
 *   `code` and line breaks;
 * - its JSON5 and YAML parsers (the yaml and json5 libraries, ~130 KB): the console edits JSON only.
 */
const inJsonSchemaLibrary = (importer) => importer.includes(`${path.sep}codemirror-json-schema${path.sep}`);
const trimJsonSchemaLibrary = {
  name: 'trim-codemirror-json-schema',
  setup(build) {
    build.onResolve({ filter: /\/utils\/markdown(\.js)?$/ }, (args) =>
      inJsonSchemaLibrary(args.importer) ? { path: path.join(here, 'src', 'editor', 'markdown.ts') } : undefined,
    );
    build.onResolve({ filter: /\/(json5|yaml)-parser(\.js)?$/ }, (args) =>
      inJsonSchemaLibrary(args.importer) ? { path: path.join(here, 'src', 'editor', 'json-only.ts') } : undefined,
    );
  },
};

/** Builds the console; answers the files written and what the first load costs. */
export async function buildConsole({ outdir = path.join(root, 'dist', 'admin'), minify = true } = {}) {
  const assets = path.join(outdir, 'assets');
  await rm(assets, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  const result = await esbuild.build({
    entryPoints: { main: path.join(here, 'src', 'main.tsx'), styles: path.join(here, 'src', 'styles.css') },
    absWorkingDir: root,
    outdir: assets,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['chrome115', 'firefox115', 'safari16'],
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify,
    sourcemap: false,
    legalComments: 'linked',
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [trimJsonSchemaLibrary],
  });
  const outputs = result.metafile.outputs;
  const name = (file) => path.basename(file);
  const entry = (point) => Object.keys(outputs).find((file) => outputs[file].entryPoint && outputs[file].entryPoint.endsWith(point));
  const main = entry('src/main.tsx');
  const styles = entry('src/styles.css');
  if (!main || !styles) throw new Error('esbuild did not emit the console entry points');

  // What the first page load fetches: the main module and the chunks it imports statically.
  const initial = new Set();
  const visit = (file) => {
    if (initial.has(file)) return;
    initial.add(file);
    for (const imported of outputs[file].imports) if (imported.kind === 'import-statement' && outputs[imported.path]) visit(imported.path);
  };
  visit(main);

  const template = await readFile(path.join(here, 'index.html'), 'utf8');
  const preloads = [...initial]
    .filter((file) => file !== main)
    .map((file) => `<link rel="modulepreload" href="/admin/assets/${name(file)}">`);
  const html = template
    .replace('__STYLES__', `/admin/assets/${name(styles)}`)
    .replace('__MAIN__', `/admin/assets/${name(main)}`)
    .replace('</head>', `${preloads.join('\n')}${preloads.length ? '\n' : ''}</head>`);
  await writeFile(path.join(outdir, 'index.html'), html);

  const sizeOf = async (file) => {
    const content = await readFile(path.resolve(root, file));
    return { file: name(file), bytes: content.length, gzip: gzipSync(content, { level: 9 }).length };
  };
  const firstLoad = await Promise.all([...initial].map(sizeOf));
  const lazy = await Promise.all(
    Object.keys(outputs)
      .filter((file) => file.endsWith('.js') && !initial.has(file))
      .map(sizeOf),
  );
  return {
    outdir,
    firstLoad,
    firstLoadGzip: firstLoad.reduce((sum, item) => sum + item.gzip, 0),
    firstLoadBytes: firstLoad.reduce((sum, item) => sum + item.bytes, 0),
    lazy,
    styles: await sizeOf(styles),
  };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const report = await buildConsole();
  console.log(
    `admin console built into ${path.relative(process.cwd(), report.outdir) || '.'} in ${Date.now() - started} ms: first load ${kb(report.firstLoadGzip)} of JavaScript gzipped (${kb(report.firstLoadBytes)} minified)`,
  );
  if (process.argv.includes('--report')) {
    for (const item of report.firstLoad)
      console.log(`  first load  ${item.file.padEnd(28)} ${kb(item.bytes).padStart(10)} ${kb(item.gzip).padStart(10)} gzip`);
    for (const item of report.lazy.sort((a, b) => b.gzip - a.gzip))
      console.log(`  on demand   ${item.file.padEnd(28)} ${kb(item.bytes).padStart(10)} ${kb(item.gzip).padStart(10)} gzip`);
    console.log(
      `  styles      ${report.styles.file.padEnd(28)} ${kb(report.styles.bytes).padStart(10)} ${kb(report.styles.gzip).padStart(10)} gzip`,
    );
    console.log(JSON.stringify({ firstLoadGzip: report.firstLoadGzip, firstLoadBytes: report.firstLoadBytes }));
  }
}
