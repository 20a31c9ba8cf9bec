// The `switchboard` command line: run a hub headless, and talk to a running one (send, tail, agents, demo).
// Each command lives in its own file; this file only wires them to commander and turns failures into exit codes.

import { Command } from 'commander';
import { registerAgentsCommand, registerSendCommand } from './clientCommands';
import { registerBrokerCommand } from './broker';
import { reportError } from './cliErrors';
import { registerDemoCommand } from './demoCommand';
import { registerHubCommand } from './hubCommand';
import { registerTailCommand } from './tailCommand';
import { registerReconstructCommand } from './reconstruct';
import { registerApprovalCommands, registerWatchCommand } from './approvalCommands';
import { registerTopicCommands } from './topicCommands';
import { registerReplayCommand } from './replayCommand';

/** Run a command body; a failure is printed for a person and sets a non-zero exit code. */
async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    process.exitCode = reportError(err);
  }
  // Commands return once their work is done; nothing they leave behind may keep the process up for long.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
}

function buildProgram(): Command {
  const program = new Command()
    .name('switchboard')
    .description('Agent Switchboard: a local hub for multi-agent systems (presence, routing, status lines).')
    .showHelpAfterError('(run `switchboard --help` for usage)');
  registerHubCommand(program, run);
  registerSendCommand(program, run);
  registerTailCommand(program, run);
  registerAgentsCommand(program, run);
  registerDemoCommand(program, run);
  // Commands of other slices: one line each here, implemented in their own file under src/cli/.
  registerBrokerCommand(program, run);
  registerReconstructCommand(program, run);
  registerWatchCommand(program, run);
  registerApprovalCommands(program, run);
  registerTopicCommands(program, run);
  registerReplayCommand(program, run);
  return program;
}

void buildProgram().parseAsync(process.argv);
