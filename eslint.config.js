import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The design's two hard lines: only src/runtime/ imports onnxruntime-node,
// only src/adapters/ imports discord.js or @slack/bolt.
const ORT = { name: 'onnxruntime-node', message: 'Only src/runtime/ imports onnxruntime-node.' };
const DISCORD = { name: 'discord.js', message: 'Only src/adapters/ imports discord.js.' };
const SLACK = { name: '@slack/bolt', message: 'Only src/adapters/ imports @slack/bolt.' };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'data/', 'models/**/data/build/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/**/*.ts', 'commands/**/*.ts'],
    ignores: ['src/runtime/**', 'src/adapters/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [ORT, DISCORD, SLACK] }] },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [DISCORD, SLACK] }] },
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [ORT] }] },
  },
);
