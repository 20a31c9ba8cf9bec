// Bundles the extension-host mocha suite (test/extension/index.ts and the suites it imports) into
// out/test/extension/index.js. `vscode` is provided by the extension host; packages stay external so mocha (ESM)
// and ws load from node_modules as they are. Kept apart from esbuild.mjs: tests are never shipped in the .vsix.

import * as esbuild from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

await esbuild.build({
  absWorkingDir: root,
  entryPoints: { index: 'test/extension/index.ts' },
  outdir: 'out/test/extension',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  packages: 'external',
  external: ['vscode'],
  logLevel: 'warning',
});
console.log('built out/test/extension/index.js');
