// ESLint for the bugs the compiler lets through (promises nobody awaits, async callbacks where a
// sync one is expected, awaiting a non-promise, dead values); Prettier owns the layout, so
// eslint-config-prettier comes last and turns off every rule about it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const SOURCES = ['config', 'policies', 'site', 'stacks', 'vault', 'engine', 'toolchain', 'cli', 'scripts', 'test'];

/** Node's globals, for the few plain JavaScript files (no `globals` package: one more dependency for nine names). */
const NODE_GLOBALS = Object.fromEntries(
  ['process', 'console', 'setTimeout', 'clearTimeout', 'URL', 'require', 'module', '__dirname', '__filename'].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'cdktf.out/', 'coverage/', '**/.maas-vault/'] },
  {
    files: SOURCES.map((dir) => `${dir}/**/*.ts`),
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // tsconfig.test.json holds every folder, tests included, and whatever they import.
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // An async function with no await still returns the Promise its interface promises (yargs handlers, state backends, close()).
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read Vault's, the engine's and the CLI's JSON as it comes and let expect() judge its shape: a wrong one fails the test.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Tests match terminal colour escapes (\x1b) on purpose.
      'no-control-regex': 'off',
      // A test rethrows what a child process's callback caught, whatever it was.
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [js.configs.recommended],
    languageOptions: { globals: NODE_GLOBALS },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  prettier,
);
