import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The design's hard lines: only src/runtime/ imports onnxruntime-node, only src/adapters/ imports
// discord.js or @slack/bolt, only src/imaging/ imports sharp (tests, bench/ and the training-data
// builders in models/emoji/data/ make and read images with it directly).
const ORT = { name: 'onnxruntime-node', message: 'Only src/runtime/ imports onnxruntime-node.' };
const SHARP = {
  name: 'sharp',
  message: 'Only src/imaging/ imports sharp; use its exports (src/imaging/index.ts).',
};
const DISCORD = { name: 'discord.js', message: 'Only src/adapters/ imports discord.js.' };
const SLACK = { name: '@slack/bolt', message: 'Only src/adapters/ imports @slack/bolt.' };

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'data/',
      'models/**/data/build/',
      'coverage/',
      'test-results/',
      '.carry/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript run by node (the CLI launcher, the build, the inference process's entry).
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { console: 'readonly', performance: 'readonly', process: 'readonly', URL: 'readonly' },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts', 'commands/**/*.ts'],
    ignores: ['src/runtime/**', 'src/adapters/**', 'src/imaging/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [ORT, DISCORD, SLACK, SHARP] }] },
  },
  {
    // The scale-out engine is built from the engine's exported parts (src/engine/index.ts).
    files: ['src/cluster/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ORT, DISCORD, SLACK, SHARP],
          patterns: [
            {
              group: ['../engine/*', '!../engine/index.ts'],
              message: 'src/cluster/ imports the engine through src/engine/index.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [DISCORD, SLACK, SHARP] }] },
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [ORT, SHARP] }] },
  },
  {
    files: ['src/imaging/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [ORT, DISCORD, SLACK] }] },
  },
);
