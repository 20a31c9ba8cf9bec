// Debug Agents in a window that runs its hub in process, end to end in code-server (the scenario: workbenchDebugScenario.ts).
// Screenshots: test-results/debugger-*.png.

import { debuggerScenario } from './workbenchDebugScenario';

debuggerScenario({ prefix: 'debugger', attached: false });
