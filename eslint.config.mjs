// One lint for every TypeScript file: typescript-eslint's type-checked recommended rules everywhere,
// n8n's community-node rules for the node pack (as @n8n/node-cli configures them), and the house rules
// that keep the layers apart: SQL only in service/store, and no import that runs back up.
import js from '@eslint/js';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import { globalIgnores } from 'eslint/config';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import tseslint from 'typescript-eslint';

/** `service/<layer>` may not import these layers (it sits below them). */
const layers = {
  model: ['store', 'scoring', 'app', 'jobs', 'http', 'cli'],
  store: ['scoring', 'app', 'jobs', 'http', 'cli'],
  scoring: ['app', 'jobs', 'http', 'cli'],
  jobs: ['app', 'http', 'cli'],
  app: ['http', 'cli'],
  http: ['cli', 'jobs'],
};

// Statements start in capitals in this code base; prose (summaries, messages) does not.
const sqlStart = String.raw`/^\s*(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|WITH\s+(RECURSIVE\s+)?\w+\s+AS|CREATE\s+(TABLE|INDEX|DATABASE|EXTENSION)|ALTER\s+TABLE|DROP\s+(TABLE|INDEX|DATABASE)|ANALYZE\b|LISTEN\b|UNLISTEN\b|COPY\s)/`;
const noSqlHere = [
  { selector: `TemplateLiteral[quasis.0.value.raw=${sqlStart}]`, message: 'SQL belongs in service/store/ (one module per table family).' },
  { selector: `Literal[value=${sqlStart}]`, message: 'SQL belongs in service/store/ (one module per table family).' },
];

export default tseslint.config(
  globalIgnores(['dist', 'node_modules', 'migrations', 'examples', 'admin/dist', '.scratch', 'bench/.work']),
  {
    files: ['**/*.ts', '**/*.mts', '**/*.tsx'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      'no-console': 'error',
      // A variable assigned once but read (by a closure) before that is a `let` on purpose.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A leading underscore says "deliberately unused" (a destructured field left out, an express signature).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The console's event handlers may be async: Preact ignores what they return.
    files: ['admin/**/*.tsx'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }] },
  },
  {
    files: ['**/*.mjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
  },
  ...Object.entries(layers).map(([layer, above]) => ({
    files: [`service/${layer}/**/*.ts`, `service/${layer}/**/*.mts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: above.map((name) => ({
            group: [`../${name}/*`, `../../${name}/*`],
            message: `service/${layer} sits below service/${name}: it may not import it.`,
          })),
        },
      ],
    },
  })),
  {
    files: ['service/**/*.ts'],
    ignores: ['service/store/**'],
    rules: { 'no-restricted-syntax': ['error', ...noSqlHere] },
  },
  {
    // Command-line tools and the benchmark write to the terminal.
    files: ['service/cli/**', 'service/main.ts', 'bench/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Tests read untyped JSON answers (supertest's body, fetch's json()) on purpose: asserting on them is the test.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
    extends: [n8nCommunityNodesPlugin.configs.recommended],
    rules: {
      'prefer-spread': 'off',
    },
  },
  { plugins: { 'n8n-nodes-base': n8nNodesBase } },
  {
    files: ['credentials/**/*.ts'],
    rules: {
      ...n8nNodesBase.configs.credentials.rules,
      'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
    },
  },
  {
    files: ['nodes/**/*.ts'],
    rules: {
      ...n8nNodesBase.configs.nodes.rules,
      'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
      'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
      'n8n-nodes-base/node-param-type-options-max-value-present': 'off',
    },
  },
  {
    // The pack's manifest, written by gulp into dist/n8n-package (linted by test/nodes/package.test.ts).
    files: ['**/n8n-package/package.json'],
    extends: [n8nCommunityNodesPlugin.configs.recommended],
    rules: { ...n8nNodesBase.configs.community.rules },
    languageOptions: { parser: tseslint.parser, parserOptions: { extraFileExtensions: ['.json'] } },
  },
);
