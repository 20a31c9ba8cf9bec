// Keeps the layering honest: only src/extension imports `vscode`; each layer imports exactly what the layer map in
// ARCHITECTURE.md allows; only the protocol's options module reads SWITCHBOARD_* (and seed 002) variables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : /\.tsx?$/.test(n) ? [p] : [];
  });
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
const files = walk('src');

function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4] ?? '');
}

const LAYERS = ['protocol', 'sdk', 'bus', 'hub', 'reconstruction', 'cli', 'webview', 'extension'];
/**
 * The layer map: which of our layers each layer may import (besides itself). The SDK and the bus are siblings over
 * the protocol, not a stack: the SDK is the client side (agents, front-ends, brokers, monitors), the bus the
 * server side's transport, and neither needs the other. The webview sees only the protocol; the extension sees
 * everything but the webview's internals (it talks to the page through protocol/webviewMessages.ts).
 */
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  sdk: ['protocol'],
  bus: ['protocol'],
  hub: ['protocol', 'bus'],
  reconstruction: ['protocol', 'bus', 'hub'],
  cli: ['protocol', 'sdk', 'bus', 'hub', 'reconstruction'],
  webview: ['protocol'],
  extension: ['protocol', 'sdk', 'bus', 'hub', 'reconstruction', 'cli'],
};

/**
 * Imports the map rejects that are known and waiting for their owner's fix (`file → specifier`). Empty it as they
 * are fixed: the test fails on an entry that is no longer an offence, so the list can only shrink.
 */
const KNOWN_LAYER_EXCEPTIONS: string[] = [];

test('only src/extension imports vscode', () => {
  const offenders = files.filter((f) => !f.startsWith(join('src', 'extension')) && importsOf(f).includes('vscode'));
  assert.deepEqual(offenders, []);
});

test('imports between layers follow the layer map exactly', () => {
  const bad: string[] = [];
  for (const f of files) {
    const layer = relative('src', f).split(/[\\/]/)[0]!;
    if (!LAYERS.includes(layer)) continue;
    for (const spec of importsOf(f)) {
      if (!spec.startsWith('.')) continue;
      const target = relative('src', resolve(dirname(f), spec)).split(/[\\/]/)[0]!;
      if (target !== layer && LAYERS.includes(target) && !ALLOWED[layer]!.includes(target)) bad.push(`${f.split(sep).join('/')} → ${spec}`);
    }
  }
  assert.deepEqual(bad.filter((b) => !KNOWN_LAYER_EXCEPTIONS.includes(b)), [], 'imports the layer map does not allow');
  assert.deepEqual(KNOWN_LAYER_EXCEPTIONS.filter((e) => !bad.includes(e)), [], 'fixed: remove these from KNOWN_LAYER_EXCEPTIONS');
});

test('the layer map itself: protocol imports nothing of ours, and no two layers may import each other', () => {
  assert.deepEqual(ALLOWED.protocol, []);
  const cycles = LAYERS.flatMap((a) => ALLOWED[a]!.filter((b) => ALLOWED[b]!.includes(a)).map((b) => `${a} ↔ ${b}`));
  assert.deepEqual(cycles, []);
});

/** The one module that reads our variables (and the seed 002 ones) from an environment. */
const ENV_MODULE = 'src/protocol/envOptions.ts';
const ENV_READ = /\benv(?:\.|\[\s*['"`])(SWITCHBOARD_|KAFKA_BOOTSTRAP_SERVERS|KAFKA_CONTEXT_|KAFKA_CONSUMER_GROUP_PREFIX|PEER_CONTEXT_)/;
/**
 * Files outside the protocol/sdk/cli/extension/webview folders that still read variables themselves, waiting for
 * their owner to call readEnv instead. Empty it as they are fixed; the test fails on an entry that no longer reads.
 */
const KNOWN_ENV_READERS: string[] = [
];

test('only the options module reads SWITCHBOARD_* and seed 002 variables', () => {
  const readers = files.map((f) => f.split(sep).join('/')).filter((f) => f !== ENV_MODULE && ENV_READ.test(readFileSync(f, 'utf8')));
  assert.deepEqual(readers.filter((f) => !KNOWN_ENV_READERS.includes(f)), [], 'read them through readEnv() in src/protocol/envOptions.ts');
  assert.deepEqual(KNOWN_ENV_READERS.filter((f) => !readers.includes(f)), [], 'fixed: remove these from KNOWN_ENV_READERS');
});
