// Runs the same extension-host mocha suite (out/test/extension/index.js) in desktop VS Code through
// @vscode/test-electron, for contributors with internet: it downloads VS Code 1.100.3 (the version code-server
// 4.100.3 embeds, which CI uses offline) into .tools/vscode-test/. Run with `npm run test:electron`; not run in CI here.

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { freePort, repoRoot as root } from '../../tools/vscode/codeServer.mjs';

async function main(): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), 'switchboard-electron-'));
  const userData = join(scratch, 'user-data');
  const workspace = join(scratch, 'workspace');
  mkdirSync(join(userData, 'User'), { recursive: true });
  mkdirSync(workspace, { recursive: true });
  // Same isolation as the code-server runner: our own hub port, so a hub in the developer's own VS Code is untouched.
  const hubPort = await freePort();
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify({ 'switchboard.hub.port': hubPort, 'telemetry.telemetryLevel': 'off', 'update.mode': 'none' }),
  );
  try {
    await runTests({
      version: process.env.SWITCHBOARD_VSCODE_VERSION ?? '1.100.3',
      // downloads are cached in the git-ignored .tools folder next to code-server, not in .vscode-test/
      cachePath: join(root, '.tools', 'vscode-test'),
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out/test/extension/index.js'),
      extensionTestsEnv: {
        SWITCHBOARD_TEST_HUB_PORT: String(hubPort),
        SWITCHBOARD_TEST_RUN_DIR: scratch,
        // the hub file normally lives in ~/.agent-switchboard: keep the developer's own windows out of the test
        SWITCHBOARD_HUB_FILE_DIR: join(scratch, 'hub-file'),
      },
      launchArgs: [workspace, '--user-data-dir', userData, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome'],
    });
    return 0;
  } catch (err) {
    console.error(`extension tests failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

// no top-level await: the package is CommonJS, and tsx runs this file as such
void main().then((code) => {
  process.exitCode = code;
});
