// Second half of `npm run build` (after tsc): copies the node pack's icons and codex files next to the
// compiled nodes, then assembles dist/n8n-package, the publishable n8n community package
// `n8n-nodes-engagement-score` (its own package.json, README and LICENSE; `npm publish` from there).
const fs = require('node:fs/promises');
const path = require('node:path');
const { dest, series, src } = require('gulp');

const root = __dirname;
// Where tsc wrote its output; the package test points it at a temporary folder.
const distDir = path.resolve(root, process.env.N8N_PACKAGE_DIST_DIR ?? 'dist');
const packageDir = path.join(distDir, 'n8n-package');

/** The published package's manifest; the `n8n` block (which files are nodes and credentials) comes from ours. */
async function manifest() {
  const project = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8'));
  return {
    name: 'n8n-nodes-engagement-score',
    version: project.version,
    description:
      'n8n nodes for Engagement Score: read, update and explain contact scores, filter contacts by score, record interactions in batches, and start workflows when a score crosses a threshold.',
    keywords: ['n8n-community-node-package', 'n8n', 'engagement score', 'lead scoring', 'crm', 'relationships'],
    license: 'MIT',
    homepage: 'https://engagement-score.dev',
    author: { name: 'Engagement Score', email: 'dev@engagement-score.dev' },
    engines: { node: '>=20.15' },
    files: ['dist'],
    n8n: project.n8n,
    peerDependencies: { 'n8n-workflow': '*' },
  };
}

/** SVG icons and codex (.node.json) files sit next to the compiled node that names them. */
function copyAssets() {
  return src(['nodes/**/*.svg', 'nodes/**/*.node.json', 'credentials/**/*.svg'], { cwd: root, base: root, encoding: false }).pipe(
    dest(distDir),
  );
}

async function cleanPackage() {
  await fs.rm(packageDir, { recursive: true, force: true });
}

/** Only what n8n loads: compiled JavaScript, icons and codex files (no source maps of sources not shipped). */
function copyPackageFiles() {
  return src(['nodes/**/*.{js,svg,json}', 'credentials/**/*.{js,svg}'], { cwd: distDir, base: distDir, encoding: false }).pipe(
    dest(path.join(packageDir, 'dist')),
  );
}

async function writePackageMetadata() {
  await fs.writeFile(path.join(packageDir, 'package.json'), `${JSON.stringify(await manifest(), null, 2)}\n`);
  await fs.copyFile(path.join(root, 'n8n-package', 'README.md'), path.join(packageDir, 'README.md'));
  await fs.copyFile(path.join(root, 'n8n-package', 'LICENSE'), path.join(packageDir, 'LICENSE'));
}

exports.assets = copyAssets;
exports.package = series(cleanPackage, copyPackageFiles, writePackageMetadata);
exports.default = series(copyAssets, exports.package);
