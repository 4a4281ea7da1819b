// `corvus cluster status`: asks one node's control plane for the live members and the partition
// table of its correlators, and prints them as tables an operator reads at a glance.
import { Console, Effect } from "effect"
import * as ControlClient from "../control/ControlClient.ts"
import { parseControlCommand } from "./ControlCommandArgs.ts"
import type { PartitionTable, PartitionTableEntry } from "../control/NodeStatus.ts"

export const help = `Usage: corvus cluster status [options]

Prints the cluster as one node sees it: the live members (node, control address, draining),
then per correlator every partition with its owner and lease epoch (from the lease bucket),
and the applied and checkpoint sequences and lag of the partitions that node runs itself
("-" where the node asked does not know them; lag is not measured yet).

Options:
  --control <host:port>   the node's control plane (default 127.0.0.1:7225)
  --correlator <id>       only this correlator's partitions
  --help, -h              this text`

/** Runs the command; resolves to the exit status (0 done, 1 node unreachable or refused, 2 usage). */
export const main = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.gen(function* () {
    const values = yield* parseControlCommand("cluster", "status", { correlator: { type: "string" } } as const, help, args)
    if (typeof values === "number") return values
    const address = values.control
    return yield* Effect.scoped(Effect.flatMap(ControlClient.make(address), (client) => client.getPartitionTable(typeof values.correlator === "string" ? values.correlator : undefined))).pipe(
      Effect.flatMap((table) => Console.log(formatStatus(table, address)).pipe(Effect.as(0))),
      Effect.catchAll((error) =>
        Console.error(
          error.unreachable
            ? `corvus cluster status: cannot reach a node's control plane at ${address} (${error.detail}). Is a node running there? Point --control at one.`
            : `corvus cluster status: node at ${address} answered: ${error.detail}`
        ).pipe(Effect.as(1))
      )
    )
  })

/** Columns padded to their widest cell, two spaces apart, indented under a heading. */
const formatTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)))
  return [header, ...rows].map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()}`).join("\n")
}

const known = (value: number | undefined): string => (value === undefined ? "-" : String(value))

const partitionRow = (entry: PartitionTableEntry): ReadonlyArray<string> => [
  String(entry.partition),
  entry.owner?.nodeId ?? "-",
  known(entry.owner?.epoch),
  known(entry.progress?.appliedSequence),
  known(entry.progress?.checkpointSequence),
  known(entry.progress?.lag)
]

/** The status report: members, then one table per correlator (partitions arrive sorted). */
export const formatStatus = (table: PartitionTable, address: string): string => {
  const sections = [
    `Cluster as seen by node ${table.nodeId} (${address})`,
    `Members (${table.members.length})\n${formatTable(
      ["NODE", "ADDRESS", "DRAINING"],
      table.members.map((member) => [member.nodeId, member.address, member.draining ? "yes" : "no"])
    )}`
  ]
  const byCorrelator = new Map<string, Array<PartitionTableEntry>>()
  for (const entry of table.partitions) {
    const entries = byCorrelator.get(entry.correlatorId)
    if (entries === undefined) byCorrelator.set(entry.correlatorId, [entry])
    else entries.push(entry)
  }
  for (const [correlatorId, entries] of byCorrelator) {
    const owned = entries.filter((entry) => entry.owner !== undefined).length
    const here = entries.filter((entry) => entry.progress !== undefined).length
    sections.push(
      `Correlator ${correlatorId}: ${entries.length} partition(s), ${owned} owned, ${entries.length - owned} unowned, ${here} run by ${table.nodeId}\n${formatTable(
        ["PARTITION", "OWNER", "EPOCH", "APPLIED", "CHECKPOINT", "LAG"],
        entries.map(partitionRow)
      )}`
    )
  }
  if (byCorrelator.size === 0) sections.push("No correlators deployed.")
  return sections.join("\n\n")
}
