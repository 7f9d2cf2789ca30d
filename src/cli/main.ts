import { enableCompileCache } from "node:module";
import { Command, CommanderError } from "commander";
import { ExitCode, exitCodeFor, reportError } from "./errors.ts";

// Node strips the sources' types at every start; the compile cache keeps the result (and V8's code) on
// disk, which halves start-up — and an agent's start-up is part of every restart's convergence.
enableCompileCache();

/** Each command's module is loaded only when that command runs (`weir --help` loads them all). */
const commands: Record<string, () => Promise<Command>> = {
  demo: async () => (await import("./demo-command.ts")).demoCommand(),
  testbed: async () => (await import("./testbed-command.ts")).testbedCommand(),
  server: async () => (await import("./server-command.ts")).serverCommand(),
  agent: async () => (await import("./agent-command.ts")).agentCommand(),
};

const program = new Command("weir")
  .description("Weir: an Open vSwitch L2 agent and its control plane, whose restarts drop no packets")
  .version("0.1.0");

const requested = process.argv[2];
for (const [name, load] of Object.entries(commands)) {
  if (requested === undefined || !(requested in commands) || requested === name)
    program.addCommand(await load());
}

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
