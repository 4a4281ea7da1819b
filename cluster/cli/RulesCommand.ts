// `corvus rules deploy <file>`: sends one correlator's rules to a node's control plane, which
// stores them as the correlator's next revision in the cluster's registry; every router and
// partition of the correlator moves to it at one position of the event stream.
import * as grpc from "@grpc/grpc-js"
import { Console, Effect } from "effect"
import { readFile } from "node:fs/promises"
import * as ControlClient from "../control/ControlClient.ts"
import { parseControlCommand } from "./ControlCommandArgs.ts"

export const help = `Usage: corvus rules deploy <file> [options]

Deploys a correlator's rules. <file> holds one correlator resource, as deployment files list them
under "correlators": JSON, or YAML when its name ends in .yaml or .yml. The node checks it (every
invalid field is named) and stores it as the correlator's next revision; the correlator's router
switches to it between two batches of events, and each partition at the first event routed under
it. Groups of rules whose definition did not change keep their state; changed and removed rules
lose theirs and new rules start empty. A file equal to the current revision changes nothing.
The correlator must already be deployed, and a change may not make a partitioned correlator
unpartitionable (active lists, operational or looping rules, rate limits) or the other way round.

Options:
  --control <host:port>   the node's control plane (default 127.0.0.1:7225)
  --help, -h              this text`

/** Runs the command; resolves to the exit status (0 done, 1 file unreadable, node unreachable or refused, 2 usage). */
export const main = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.gen(function* () {
    const values = yield* parseControlCommand("rules", "deploy", {} as const, help, args, ["file"])
    if (typeof values === "number") return values
    const address = values.control
    const file = String(values.file)
    const document = yield* Effect.tryPromise(() => readFile(file, "utf8")).pipe(Effect.either)
    if (document._tag === "Left") {
      yield* Console.error(`corvus rules deploy: cannot read ${file}: ${(document.left.error as Error).message}`)
      return 1
    }
    const format = /\.ya?ml$/i.test(file) ? "yaml" : "json"
    return yield* Effect.scoped(Effect.flatMap(ControlClient.make(address), (client) => client.deployCorrelator({ document: document.right, format }))).pipe(
      Effect.flatMap((result) =>
        Console.log(
          result.created
            ? `correlator ${result.correlatorId} deployed as revision ${result.revision}`
            : `correlator ${result.correlatorId} unchanged: revision ${result.revision} already has these rules`
        ).pipe(Effect.as(0))
      ),
      Effect.catchAll((error) =>
        Console.error(
          error.unreachable
            ? `corvus rules deploy: cannot reach a node's control plane at ${address} (${error.detail}). Is a node running there? Point --control at one.`
            : refusals.has(error.code ?? -1)
              ? `corvus rules deploy: ${file} was refused: ${error.detail}`
              : `corvus rules deploy: node at ${address} answered: ${error.detail}`
        ).pipe(Effect.as(1))
      )
    )
  })

// The node looked at the document and said no: the operator fixes the file, not the connection.
const refusals = new Set<number>([grpc.status.INVALID_ARGUMENT, grpc.status.NOT_FOUND, grpc.status.FAILED_PRECONDITION])
