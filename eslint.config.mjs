// One lint for server, webapp, tests and build scripts: typescript-eslint's recommended rules, the React
// hooks rules for the webapp, and prettier for layout (`npm run format` rewrites, `npm run lint` checks).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {ignores: ['**/dist/**', '**/node_modules/**', 'server/native/build/**', 'webapp/i18n/**', '**/*.d.ts']},
  {linterOptions: {reportUnusedDisableDirectives: 'error'}},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {globals: {...globals.node}},
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'},
      ],
      '@typescript-eslint/consistent-type-imports': ['error', {fixStyle: 'inline-type-imports'}],
      'no-constant-condition': ['error', {checkLoops: false}],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // A promise nobody awaits or catches is an unhandled rejection waiting to happen: in the server
    // that is a crash path, so these two rules use the type checker there.
    files: ['server/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.bench.ts'],
    languageOptions: {parserOptions: {project: ['server/tsconfig.json'], tsconfigRootDir: import.meta.dirname}},
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', {checksVoidReturn: {arguments: false}}],
    },
  },
  {
    files: ['webapp/src/**/*.{ts,tsx}'],
    plugins: {'react-hooks': reactHooks},
    languageOptions: {globals: {...globals.browser}},
    rules: {'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error'},
  },
  {
    files: ['**/*.test.{ts,tsx}', 'test/**/*.ts', 'server/src/testing/**/*.ts'],
    languageOptions: {globals: {...globals.jest}},
  },
);
