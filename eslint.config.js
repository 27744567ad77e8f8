// @ts-check
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import { importX } from 'eslint-plugin-import-x'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'

const restrictRedis = {
  paths: [
    { name: 'redis', message: 'Only src/store/redis-store.ts and src/lock/ may import redis.' },
    { name: 'redlock', message: 'Only src/lock/redlock-lock.ts may import redlock.' },
    { name: 'express', message: 'src/ is framework-free: it never imports express.' },
  ],
}

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-output/**', 'docs/api/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
      // The user's function may throw anything; it is rethrown unchanged, never wrapped.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // An import cycle makes evaluation order decide what a module sees: none allowed.
    files: [
      'src/**/*.ts',
      'middleware/**/*.ts',
      'test/**/*.ts',
      'bench/**/*.ts',
      'demo/**/*.ts',
      'tools/**/*.ts',
    ],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/store/redis-*.ts', 'src/lock/redlock-*.ts'],
    rules: { 'no-restricted-imports': ['error', restrictRedis] },
  },
  {
    files: ['middleware/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/src/**', '!**/src/core.js'],
              message: 'middleware/ uses the core only through its public API, src/core.js.',
            },
          ],
          paths: restrictRedis.paths.slice(0, 2),
        },
      ],
    },
  },
  {
    // Small modules and functions: one responsibility each, readable in one screen. Comments
    // and blank lines count (a file's TSDoc is part of what a reader reads).
    files: ['src/**/*.ts', 'middleware/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 250, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': [
        'error',
        { max: 60, skipBlankLines: false, skipComments: false, IIFEs: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'demo/**/*.ts', 'bench/**/*.ts', 'tools/**/*.ts', '.ci/**/*.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
)
