// ESLint (flat config): the recommended JavaScript and typescript-eslint rules over the whole
// repository; formatting is Prettier's (.prettierrc.json), so eslint-config-prettier turns the
// stylistic rules off. `npm run lint` runs this, Prettier's check and dependency-cruiser.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'eval-report/**',
      'bench-results/**',
      // AssemblyScript (compiled by asc, not tsc): its own types and decorators
      'server/src/engine/frame/kernels/**',
      'models/**/runs/**',
      'models/data/cache/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // unused arguments named _x are intentional (callbacks with a fixed signature)
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  { files: ['client/**'], languageOptions: { globals: { ...globals.browser } } },
  prettier,
);
