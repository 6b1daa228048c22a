// Lints the n8n node pack (nodes/, credentials/) with n8n's community-node rules, as @n8n/node-cli does.
// The service and the tests are not linted here: they are outside the pack and not bound by its rules.
import js from '@eslint/js';
import { n8nCommunityNodesPlugin } from '@n8n/eslint-plugin-community-nodes';
import { globalIgnores } from 'eslint/config';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  globalIgnores(['dist', 'node_modules', 'bench', 'service', 'test', 'migrations', 'examples']),
  {
    files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended, n8nCommunityNodesPlugin.configs.recommended],
    rules: {
      'prefer-spread': 'off',
      'no-console': 'error',
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
