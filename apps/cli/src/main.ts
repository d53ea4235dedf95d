import { Command, CommanderError } from "commander";
import { CliError } from "./errors.ts";
import { commands } from "./commands/index.ts";

const program = new Command()
  .name("gdc")
  .description("GenDataCarto: find what a generative model memorizes, and govern what is done about it.")
  .showHelpAfterError()
  .exitOverride();

// Load only the command asked for; anything else (help, a typo) loads them all so commander
// can list them and suggest the right one.
const asked = process.argv.slice(2).find((arg) => !arg.startsWith("-"));
const loaders = asked && asked in commands ? [commands[asked]!] : Object.values(commands);
for (const module of await Promise.all(loaders.map((load) => load()))) module.register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; usage errors have already been printed by commander.
    process.exit(err.exitCode);
  }
  if (err instanceof CliError) {
    process.stderr.write(`gdc: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  process.stderr.write(`gdc: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
