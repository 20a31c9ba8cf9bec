// Debug Agents in a window attached to `switchboard demo --with-hub` running in another process (as in a terminal),
// end to end in code-server: the same developer's path, debugged over the wire (the scenario: workbenchDebugScenario.ts).
// Screenshots: test-results/debugger-attached-*.png.

import { debuggerScenario } from './workbenchDebugScenario';

debuggerScenario({ prefix: 'debugger-attached', attached: true });
