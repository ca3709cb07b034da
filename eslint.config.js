import globals from 'globals';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      '**/dist/**',
      'node_modules/**',
      '**/node_modules/**',
      'coverage/**',
      'lib/**',
      '**/cdk.out/**',
      '.tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // Planners stay pure: no toolkit, no SDK.
    files: ['src/**/plan.ts', 'src/**/status.ts', 'src/**/assertions.ts', 'src/shared/duration.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@actions/*', '@aws-sdk/*'] }],
    },
  },
);
