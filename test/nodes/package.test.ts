import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import './n8n-env';
import { PackageDirectoryLoader } from 'n8n-core';

/**
 * The build of the node pack: tsc output plus gulpfile.js assembling n8n-package, the way
 * `npm run build` does, but compiled into a folder of its own (only nodes/ and credentials/, so it
 * stays fast and leaves dist/ alone). The assembled package must load in plain Node the way n8n loads
 * community nodes, pass n8n's package lint rules, and pack only what n8n needs.
 */

const root = path.resolve(__dirname, '../..');
let buildDir: string;
let packageDir: string;
let manifest: Record<string, unknown> & { n8n: { nodes: string[]; credentials: string[] } };

function compilePack(outDir: string) {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(root, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  )!;
  const rootNames = parsed.fileNames.filter((file) => ['nodes', 'credentials'].includes(path.relative(root, file).split(path.sep)[0]));
  const program = ts.createProgram({ rootNames, options: { ...parsed.options, outDir, incremental: false, tsBuildInfoFile: undefined } });
  const emitted = program.emit();
  const errors = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].filter(
    (diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error,
  );
  if (errors.length > 0)
    throw new Error(
      ts.formatDiagnostics(errors, { getCanonicalFileName: (name) => name, getCurrentDirectory: () => root, getNewLine: () => '\n' }),
    );
}

beforeAll(() => {
  // Inside the project (`.test-*` is git-ignored) so that the compiled nodes find n8n-workflow as they would in n8n.
  buildDir = mkdtempSync(path.join(root, '.test-n8n-package-'));
  compilePack(buildDir);
  execFileSync(process.execPath, [path.join(root, 'node_modules/gulp/bin/gulp.js'), '--cwd', root], {
    env: { ...process.env, N8N_PACKAGE_DIST_DIR: buildDir },
    stdio: 'pipe',
  });
  packageDir = path.join(buildDir, 'n8n-package');
  manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
}, 120_000);

afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

describe('the assembled n8n-package', () => {
  it('is the community package n8n-nodes-engagement-score, with n8n-workflow as its only peer and no dependencies', () => {
    const project = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'n8n-nodes-engagement-score',
      version: project.version,
      license: 'MIT',
      files: ['dist'],
      peerDependencies: { 'n8n-workflow': '*' },
      author: { name: expect.any(String), email: expect.stringContaining('@') },
      homepage: expect.stringMatching(/^https:\/\//),
      n8n: {
        n8nNodesApiVersion: 1,
        strict: true,
        nodes: ['dist/nodes/EngagementScore/EngagementScore.node.js', 'dist/nodes/EngagementScoreTrigger/EngagementScoreTrigger.node.js'],
        credentials: ['dist/credentials/EngagementScoreApi.credentials.js'],
      },
    });
    expect(manifest.keywords).toContain('n8n-community-node-package');
    for (const field of ['dependencies', 'devDependencies', 'scripts', 'overrides', 'private']) expect(manifest).not.toHaveProperty(field);
  });

  it('loads with n8n’s own loader for installed community packages: nodes, credential, codex and themed icons', async () => {
    const loader = new PackageDirectoryLoader(packageDir);
    await loader.loadAll();
    expect(loader.packageName).toBe('n8n-nodes-engagement-score');
    expect(Object.keys(loader.known.nodes).sort()).toEqual(['engagementScore', 'engagementScoreTrigger']);
    expect(Object.keys(loader.known.credentials)).toEqual(['engagementScoreApi']);
    const iconsOf = (folder: string, file: string) => ({
      light: `icons/n8n-nodes-engagement-score/dist/${folder}/${file}.svg`,
      dark: `icons/n8n-nodes-engagement-score/dist/${folder}/${file}.dark.svg`,
    });
    const described = Object.fromEntries(
      loader.types.nodes.map((node) => [
        node.name,
        { iconUrl: node.iconUrl, codex: node.codex, version: node.communityNodePackageVersion },
      ]),
    );
    expect(described).toEqual({
      engagementScore: {
        iconUrl: iconsOf('nodes/EngagementScore', 'engagementScore'),
        codex: expect.objectContaining({
          categories: ['Sales', 'Marketing', 'Analytics'],
          resources: expect.objectContaining({ primaryDocumentation: [expect.any(Object)] }),
        }),
        version: manifest.version,
      },
      engagementScoreTrigger: {
        iconUrl: iconsOf('nodes/EngagementScoreTrigger', 'engagementScoreTrigger'),
        codex: expect.objectContaining({ categories: ['Sales', 'Marketing', 'Analytics'] }),
        version: manifest.version,
      },
    });
    const credential = loader.types.credentials[0];
    expect(credential).toMatchObject({
      name: 'engagementScoreApi',
      iconUrl: iconsOf('nodes/EngagementScore', 'engagementScore'),
      supportedNodes: ['engagementScore', 'engagementScoreTrigger'],
    });
    for (const url of [
      ...Object.values(described).flatMap(({ iconUrl }) => Object.values(iconUrl as object)),
      ...Object.values(credential.iconUrl as object),
    ]) {
      expect(existsSync(path.join(packageDir, String(url).replace('icons/n8n-nodes-engagement-score/', '')))).toBe(true);
    }
  });

  it('packs only compiled code, icons, codex files, README and LICENSE', () => {
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
        cwd: packageDir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const files = (packed.files as Array<{ path: string }>).map((file) => file.path).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'package.json',
        'dist/nodes/EngagementScore/EngagementScore.node.js',
        'dist/nodes/EngagementScore/engagementScore.dark.svg',
        'dist/credentials/EngagementScoreApi.credentials.js',
      ]),
    );
    expect(files.filter((file) => !/^(LICENSE|README\.md|package\.json|dist\/.+\.(js|svg|node\.json))$/.test(file))).toEqual([]);
    expect(files.some((file) => file.includes('transport/request.js'))).toBe(true);
  });

  it('passes n8n’s community package lint rules, which do catch a broken manifest', () => {
    const broken = path.join(buildDir, 'broken', 'n8n-package');
    mkdirSync(broken, { recursive: true });
    writeFileSync(
      path.join(broken, 'package.json'),
      JSON.stringify({ ...manifest, name: 'engagement-score', dependencies: { 'left-pad': '1.3.0' }, keywords: ['crm'] }, null, 2),
    );
    // eslint-plugin-n8n-nodes-base identifies package.json files differently when NODE_ENV is `test`, as jest sets it.
    const { NODE_ENV: _jest, ...env } = process.env;
    let output: string;
    try {
      output = execFileSync(
        process.execPath,
        [
          path.join(root, 'node_modules/eslint/bin/eslint.js'),
          '--config',
          path.join(root, 'eslint.config.mjs'),
          '--format',
          'json',
          'n8n-package/package.json',
          'broken/n8n-package/package.json',
        ],
        {
          cwd: buildDir,
          encoding: 'utf8',
          env,
        },
      );
    } catch (error) {
      output = (error as { stdout: string }).stdout;
    }
    const results = JSON.parse(output) as Array<{
      filePath: string;
      messages: Array<{ ruleId: string; severity: number; message: string }>;
    }>;
    const byFile = Object.fromEntries(results.map((result) => [path.relative(buildDir, result.filePath), result.messages]));
    expect(byFile['n8n-package/package.json']).toEqual([]);
    const brokenRules = byFile['broken/n8n-package/package.json'].map((message) => message.ruleId);
    expect(brokenRules).toEqual(
      expect.arrayContaining([
        '@n8n/community-nodes/package-name-convention',
        '@n8n/community-nodes/no-runtime-dependencies',
        'n8n-nodes-base/community-package-json-keywords-without-official-tag',
      ]),
    );
  });

  it('ships the codex and icons that the sources hold', () => {
    for (const file of [
      'EngagementScore/EngagementScore.node.json',
      'EngagementScore/engagementScore.svg',
      'EngagementScoreTrigger/engagementScoreTrigger.dark.svg',
    ]) {
      expect(readFileSync(path.join(packageDir, 'dist/nodes', file), 'utf8')).toBe(readFileSync(path.join(root, 'nodes', file), 'utf8'));
    }
    expect(existsSync(path.join(packageDir, 'dist/nodes/EngagementScore/EngagementScore.node.js.map'))).toBe(false);
  });
});
