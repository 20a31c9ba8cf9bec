// Entry point the extension host loads through extensionTestsPath: runs the mocha suites inside VS Code and
// settles with the failure count, which the workbench turns into the process exit code (0 = all passed).

import { registerSwitchboardSuite } from './switchboard.suite';
import { registerApprovalsSuite } from './approvals.suite';
import { registerTopicsSuite } from './topics.suite';
import { registerDebuggerSuite } from './debugger.suite';
import { registerAttachedDebuggerSuite } from './debuggerAttached.suite';

export async function run(): Promise<void> {
  // mocha 12 is ESM-only: load it with import() so this CommonJS bundle works in any extension host
  const { default: Mocha } = await import('mocha');
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 20_000, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'extension-host', mocha);
  registerSwitchboardSuite();
  registerApprovalsSuite();
  registerTopicsSuite();
  registerDebuggerSuite();
  registerAttachedDebuggerSuite();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension-host test(s) failed`);
}
