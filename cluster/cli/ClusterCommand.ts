// `corvus cluster status`: asks one node's control plane for the live members and the partition
// table of its correlators, then every member for its events per second and the progress of the
// partitions it runs, and prints them as tables an operator reads at a glance.
import { Console, Effect } from "effect"
import * as ClusterView from "../control/ClusterView.ts"
import type { NodeRates, PartitionTableEntry } from "../control/NodeStatus.ts"
import { parseControlCommand } from "./ControlCommandArgs.ts"

export const help = `Usage: corvus cluster status [options]

Prints the cluster as one node sees it: the live members (node, control address, draining) with
the events each received, stored and correlated per second over the last 10 s, and the total
then per correlator every partition and its router with the owner and lease epoch (from the lease
bucket), and the applied and checkpoint sequences and lag that the owner reports (records on the
partition's subject, or the router's events stream, not yet applied). Every member is asked for
its own figures; "-" and "unknown" mark what a member did not report or could not measure.

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
    return yield* ClusterView.gather(address, { correlatorId: typeof values.correlator === "string" ? values.correlator : undefined }).pipe(
      Effect.flatMap((view) => Console.log(formatStatus(view, address)).pipe(Effect.as(0))),
      Effect.catchAll((error) =>
        Console.error(
          error.unreachable
            ? `corvus cluster status: cannot reach a node's control plane at ${address} (${error.detail}). Is a node running there? Point --control at one.`
            : `corvus cluster status: node at ${address} answered: ${error.detail}`,
        ).pipe(Effect.as(1)),
      ),
    )
  })

/** Columns padded to their widest cell, two spaces apart, indented under a heading. */
const formatTable = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)))
  return [header, ...rows].map((row) => `  ${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join("  ").trimEnd()}`).join("\n")
}

const known = (value: number | undefined): string => (value === undefined ? "-" : String(value))
const perSecond = (value: number): string => value.toFixed(1)

const rateCells = (rates: Omit<NodeRates, "windowMs"> | undefined, missing: string): ReadonlyArray<string> =>
  rates === undefined
    ? [missing, missing, missing]
    : [perSecond(rates.eventsReceivedPerSecond), perSecond(rates.eventsStoredPerSecond), perSecond(rates.correlationEventsPerSecond)]

const slotRow = (label: string, entry: PartitionTableEntry): ReadonlyArray<string> => [
  label,
  entry.owner?.nodeId ?? "-",
  known(entry.owner?.epoch),
  known(entry.progress?.appliedSequence),
  known(entry.progress?.checkpointSequence),
  entry.progress?.lag === undefined ? "unknown" : String(entry.progress.lag),
]

/** The status report: members with their rates, then one table per correlator (partitions arrive sorted). */
export const formatStatus = (view: ClusterView.ClusterView, address: string): string => {
  const answered = view.nodes.filter((node) => node.info !== undefined).length
  const sections = [
    `Cluster as seen by node ${view.askedNode} (${address})`,
    `Members (${view.nodes.length})\n${formatTable(
      ["NODE", "ADDRESS", "DRAINING", "RECEIVED/S", "STORED/S", "CORRELATIONS/S"],
      [
        ...view.nodes.map((node) => [node.nodeId, node.address, node.draining ? "yes" : "no", ...rateCells(node.info?.rates, node.info === undefined ? "unreachable" : "unknown")]),
        ["total", `${answered} of ${view.nodes.length} answered`, "", ...rateCells(view.total, "unknown")],
      ],
    )}`,
  ]
  const unreachable = view.nodes.filter((node) => node.unreachable !== undefined)
  if (unreachable.length > 0) sections.push(unreachable.map((node) => `Member ${node.nodeId} did not answer: ${node.unreachable}`).join("\n"))
  const byCorrelator = new Map<string, Array<PartitionTableEntry>>()
  for (const entry of view.partitions) {
    const entries = byCorrelator.get(entry.correlatorId)
    if (entries === undefined) byCorrelator.set(entry.correlatorId, [entry])
    else entries.push(entry)
  }
  for (const [correlatorId, entries] of byCorrelator) {
    const owned = entries.filter((entry) => entry.owner !== undefined).length
    const reporting = entries.filter((entry) => entry.progress !== undefined).length
    const router = view.routers.find((entry) => entry.correlatorId === correlatorId)
    sections.push(
      `Correlator ${correlatorId}: ${entries.length} partition(s), ${owned} owned, ${entries.length - owned} unowned, ${reporting} reporting progress\n${formatTable(
        ["PARTITION", "OWNER", "EPOCH", "APPLIED", "CHECKPOINT", "LAG"],
        [...entries.map((entry) => slotRow(String(entry.partition), entry)), ...(router === undefined ? [] : [slotRow("router", router)])],
      )}`,
    )
  }
  if (byCorrelator.size === 0) sections.push("No correlators deployed.")
  return sections.join("\n\n")
}
