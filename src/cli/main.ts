import { Command, CommanderError } from "commander";
import { agentCommand } from "./agent-command.ts";
import { demoCommand } from "./demo-command.ts";
import { ExitCode, exitCodeFor, reportError } from "./errors.ts";
import { serverCommand } from "./server-command.ts";
import { testbedCommand } from "./testbed-command.ts";

const program = new Command("weir")
  .description("Weir: an Open vSwitch L2 agent and its control plane, whose restarts drop no packets")
  .version("0.1.0");

program.addCommand(demoCommand());
program.addCommand(testbedCommand());
program.addCommand(serverCommand());
program.addCommand(agentCommand());

// Added commands do not inherit these settings; apply them to the whole tree so that every usage error
// reaches the handler below (exit code 2) instead of commander's own process.exit(1).
(function configure(command: Command): void {
  command.exitOverride().showHelpAfterError("(run with --help for usage)");
  for (const sub of command.commands) configure(sub);
})(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander printed the message already; usage errors exit 2, --help and --version 0.
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    reportError(error);
    process.exitCode = exitCodeFor(error);
  }
}
