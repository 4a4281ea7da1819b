// The `corvus` command for operators: one dispatcher for its subcommands (SPEC §8). `agent` is
// the endpoint agent (SPEC §3); `cluster status`, `node drain` and `rules deploy` talk to a node's
// control plane; starting a node, alerts, retroscan and Sigma import come later. Run it through
// cluster/cli/corvus.mjs (the npm bin), which loads TypeScript.
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Console, Effect, Exit } from "effect"
import * as AgentCommand from "./AgentCommand.ts"
import * as ClusterCommand from "./ClusterCommand.ts"
import * as MigrateCommand from "./MigrateCommand.ts"
import * as NodeCommand from "./NodeCommand.ts"
import * as RulesCommand from "./RulesCommand.ts"

interface Command {
  readonly summary: string
  readonly main: (args: ReadonlyArray<string>) => Effect.Effect<number>
}

const commands: Record<string, Command> = {
  agent: { summary: "ship events from this host to Corvus collectors (files, stdin, a local socket)", main: AgentCommand.main },
  cluster: { summary: "status: the members and every correlator partition's owner, epoch and progress", main: ClusterCommand.main },
  migrate: { summary: "apply the Cassandra schema migrations to a keyspace", main: MigrateCommand.main },
  node: { summary: "drain: make a node hand over its partitions and take no more", main: NodeCommand.main },
  rules: { summary: "deploy: store a correlator's changed rules as its next revision, cluster-wide", main: RulesCommand.main }
}

export const usage = `Usage: corvus <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`)
  .join("\n")}

Run "corvus <command> --help" for the options of a command.`

/** Runs the command named by the first argument; resolves to the process exit status. */
export const dispatch = (argv: ReadonlyArray<string>): Effect.Effect<number> => {
  const [name, ...args] = argv
  if (name === undefined) return Console.error(usage).pipe(Effect.as(2))
  if (name === "help" || name === "--help" || name === "-h") return Console.log(usage).pipe(Effect.as(0))
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (command === undefined) return Console.error(`corvus: unknown command "${name}"\n\n${usage}`).pipe(Effect.as(2))
  return command.main(args)
}

NodeRuntime.runMain(dispatch(process.argv.slice(2)), {
  disableErrorReporting: false,
  // The exit status is the command's; an interrupted command (SIGINT, SIGTERM) stopped cleanly.
  teardown: (exit, onExit) =>
    onExit(Exit.isSuccess(exit) ? Number(exit.value) : Cause.isInterruptedOnly(exit.cause) ? 0 : 1)
})
