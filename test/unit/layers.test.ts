// Keeps the layering honest: only src/extension imports `vscode`; protocol imports nothing of ours; imports point down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve } from 'node:path';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
const files = walk('src');

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

const LAYERS = ['protocol', 'sdk', 'bus', 'hub', 'reconstruction', 'cli', 'webview', 'extension'];
/** Which of our layers each layer may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  sdk: ['protocol'],
  bus: ['protocol'],
  hub: ['protocol', 'bus'],
  reconstruction: ['protocol', 'bus', 'hub', 'sdk'],
  cli: ['protocol', 'bus', 'hub', 'sdk', 'reconstruction'],
  webview: ['protocol'],
  extension: ['protocol', 'bus', 'hub', 'sdk', 'reconstruction', 'cli'],
};

test('only src/extension imports vscode', () => {
  const offenders = files.filter((f) => !f.startsWith(join('src', 'extension')) && importsOf(f).includes('vscode'));
  assert.deepEqual(offenders, []);
});

test('imports between layers point downwards only', () => {
  const bad: string[] = [];
  for (const f of files) {
    const layer = relative('src', f).split(/[\\/]/)[0]!;
    if (!LAYERS.includes(layer)) continue;
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) continue;
      const target = relative('src', resolve(dirname(f), spec)).split(/[\\/]/)[0]!;
      if (target !== layer && LAYERS.includes(target) && !ALLOWED[layer]!.includes(target)) bad.push(`${f} → ${spec}`);
    }
  }
  assert.deepEqual(bad, []);
});
