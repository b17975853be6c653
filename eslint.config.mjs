// Lint: typescript-eslint's recommended rules plus the project's habits (pino, never console).
// Import boundaries (api / workers / shared / simulator / tools, cycles, where knex and bullmq may be used) are
// checked by dependency-cruiser: .dependency-cruiser.cjs, run by `npm run lint` (lint:imports) and test/unit/architecture.test.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.demo/**', 'jest.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  { files: ['src/**/*.ts'], rules: { 'no-console': 'error' } },
);
