// `corvus node drain`: asks one node to hand over every partition it holds and take no new ones
// (before maintenance or a scale-in), and says how many it handed over.
import * as grpc from "@grpc/grpc-js"
import { Console, Effect } from "effect"
import * as ControlClient from "../control/ControlClient.ts"
import { parseControlCommand } from "./ControlCommandArgs.ts"

export const help = `Usage: corvus node drain [options]

Drains a node: it stops taking partitions and hands over every one it holds (checkpoint, stop,
release), so the other members take them; answers when it holds none. The node keeps running
its other roles and stays draining until it restarts. A single node that drains keeps no
partitions, so nothing correlates until it restarts.

Options:
  --control <host:port>   the node's control plane (default 127.0.0.1:7225)
  --help, -h              this text`

/** Runs the command; resolves to the exit status (0 done, 1 node unreachable or refused, 2 usage). */
export const main = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.gen(function* () {
    const values = yield* parseControlCommand("node", "drain", {} as const, help, args)
    if (typeof values === "number") return values
    const address = values.control
    return yield* Effect.scoped(Effect.flatMap(ControlClient.make(address), (client) => client.drain())).pipe(
      Effect.flatMap((result) =>
        Console.log(`node ${result.nodeId} drained: handed over ${result.partitionsHandedOver} partition(s); it takes none until it restarts`).pipe(Effect.as(0))
      ),
      Effect.catchAll((error) =>
        Console.error(
          // The node finishes a drain it began whoever waits: past the deadline it is still draining.
          error.code === grpc.status.DEADLINE_EXCEEDED
            ? `corvus node drain: the node at ${address} did not answer in time; if it was reached it goes on draining (corvus cluster status --control ${address} shows its partitions)`
            : error.unreachable
              ? `corvus node drain: cannot reach a node's control plane at ${address} (${error.detail}). Is a node running there? Point --control at one.`
              : `corvus node drain: node at ${address} answered: ${error.detail}`
        ).pipe(Effect.as(1))
      )
    )
  })
