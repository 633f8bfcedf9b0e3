// One lint setup for every workspace: type-aware TypeScript rules, Svelte, and the house rules
// of the style guide (type-only imports, no non-null assertions, no console in services, the
// environment read only in each service's validated config module).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './agent-desktop/svelte.config.js';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/build/**',
      '**/.svelte-kit/**',
      '**/test-results/**',
      '.data/**',
      'eslint.config.js',
      '**/svelte.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.svelte'] },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      // Async functions that satisfy an async interface need no await.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read the environment only in the validated config module.',
        },
      ],
    },
  },
  {
    files: ['agent-desktop/**/*.svelte', 'agent-desktop/**/*.svelte.ts', 'agent-desktop/src/**/*.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, svelteConfig },
    },
  },
  {
    // The linter cannot see SvelteKit's generated route types; svelte-check checks them.
    files: ['agent-desktop/src/routes/**/*.svelte'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: [
      'routing-service/src/**/*.ts',
      'sfu/src/**/*.ts',
      'migrations/src/**/*.ts',
      'contracts/src/**/*.ts',
      'recording-composer/src/**/*.ts',
    ],
    ignores: ['**/*.test.ts', '**/testing/**', '**/testing.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // node:test's test() and describe() return promises the runner tracks itself.
    files: ['**/*.test.ts'],
    rules: { '@typescript-eslint/no-floating-promises': 'off' },
  },
  {
    // Playwright fixtures must destructure their (possibly empty) dependencies.
    files: ['e2e/**'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    // Config modules, launchers, tests and benchmarks are where the environment is read.
    files: [
      '**/config.ts',
      '**/main.ts',
      'stack/**',
      'scripts/**',
      'e2e/**',
      'bench/**',
      '**/*.test.ts',
      '**/testing/**',
      '**/testing.ts',
      '**/mediasoup-adapter.ts',
      'migrations/src/cli.ts',
    ],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
