// Builds every target into dist/: the extension (Node, CommonJS, `vscode` external), the CLI (Node, executable),
// the SDK (for agents written in Node) and the monitor webview (browser, one bundle served by the extension and by
// the hub at /monitor). `node esbuild.mjs --watch` rebuilds on change; `--production` minifies.

import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, chmodSync, cpSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const node = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

/** @type {import('esbuild').BuildOptions[]} */
const targets = [
  { ...node, entryPoints: { extension: 'src/extension/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  { ...node, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  {
    ...node,
    entryPoints: { 'sdk/index': 'src/sdk/sdkBundle.ts' },
    outdir: 'dist',
  },
  {
    ...common,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    entryPoints: { 'webview/monitor': 'src/webview/main.ts' },
    outdir: 'dist',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
  },
].filter((t) => Object.values(t.entryPoints).every((p) => existsSync(p)));

mkdirSync('dist', { recursive: true });

if (watch) {
  const contexts = await Promise.all(targets.map((t) => esbuild.context(t)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log(`watching ${targets.length} targets`);
} else {
  await Promise.all(targets.map((t) => esbuild.build(t)));
  if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
  // codicons ship a font and a stylesheet the webview loads from dist/ (the CSP allows only our own files)
  if (existsSync('node_modules/@vscode/codicons/dist')) {
    cpSync('node_modules/@vscode/codicons/dist/codicon.css', 'dist/webview/codicon.css');
    cpSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/webview/codicon.ttf');
  }
  console.log(`built ${targets.map((t) => Object.keys(t.entryPoints).join(',')).join(' ')}`);
}
