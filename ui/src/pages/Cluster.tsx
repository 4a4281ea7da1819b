// The Cluster page (issue 8, general administrators): GET cluster every 2 s, the nodes with their
// events per second, a chart of the cluster's total over the last two minutes (kept while the page
// is open), and every correlator partition with its owner, epoch, applied sequence and lag. A
// partition belongs to a correlator, whose tenant GET correlators names.
import { useEffect, useRef, useState } from "preact/hooks"
import { api } from "../api.ts"
import { ClusterChart, type ClusterSample } from "../components/ClusterChart.tsx"
import { DataTable } from "../components/DataTable.tsx"
import { quantity } from "../format.ts"
import { useApi } from "../hooks.ts"
import "./Cluster.css"

interface ClusterNode {
  readonly nodeId: string
  readonly address: string
  readonly draining: boolean
  readonly reachable: boolean
  readonly eventsReceivedPerSecond: number | null
  readonly eventsStoredPerSecond: number | null
  readonly correlationEventsPerSecond: number | null
}

interface ClusterEntry {
  readonly correlatorId: string
  readonly partition: number
  readonly ownerNode: string | null
  readonly epoch: number | null
  readonly appliedSequence: number | null
  readonly lag: number | null
}

interface ClusterView {
  readonly askedNode: string
  readonly nodes: ReadonlyArray<ClusterNode>
  readonly total: { readonly eventsReceivedPerSecond: number; readonly eventsStoredPerSecond: number; readonly correlationEventsPerSecond: number }
  readonly partitions: ReadonlyArray<ClusterEntry>
  readonly routers: ReadonlyArray<ClusterEntry>
}

interface CorrelatorTenant {
  readonly id: string
  readonly name: string
  readonly tenantName: string
}

const PollMillis = 2000
const SpanMillis = 120_000

/** The correlators' names and tenants; an empty map where GET correlators is not offered. */
const loadCorrelators = (): Promise<ReadonlyMap<string, CorrelatorTenant>> =>
  api<ReadonlyArray<CorrelatorTenant>>("GET", "correlators").then(
    (list) => new Map(list.map((correlator) => [correlator.id, correlator])),
    () => new Map()
  )

export function ClusterPage() {
  const cluster = useApi(() => api<ClusterView>("GET", "cluster"), [], PollMillis)
  const correlators = useApi(loadCorrelators, [])
  const samples = useRef<Array<ClusterSample>>([])
  const [, setTick] = useState(0)
  const [selectedNode, setSelectedNode] = useState<string | undefined>(undefined)
  const [selectedPartition, setSelectedPartition] = useState<string | undefined>(undefined)

  const data = cluster.data
  useEffect(() => {
    if (data === undefined) return
    const at = Date.now()
    samples.current = [
      ...samples.current.filter((sample) => sample.at >= at - SpanMillis),
      { at, received: data.total.eventsReceivedPerSecond, stored: data.total.eventsStoredPerSecond, correlation: data.total.correlationEventsPerSecond }
    ]
    setTick((tick) => tick + 1)
  }, [data])

  const correlatorOf = (id: string) => correlators.data?.get(id)
  const partitionKey = (entry: ClusterEntry) => `${entry.correlatorId}/${entry.partition}`

  return (
    <section class="cluster-page">
      <h1>Cluster</h1>
      {cluster.error !== undefined ? <p role="alert">{cluster.error}</p> : null}
      {data === undefined ? (
        cluster.error === undefined ? <p class="muted">Loading…</p> : null
      ) : (
        <>
          <div class="cluster-top">
            <div>
              <h2>Nodes</h2>
              <DataTable<ClusterNode>
                label="Nodes"
                rows={data.nodes}
                rowKey={(node) => node.nodeId}
                selected={selectedNode}
                onSelect={(node) => setSelectedNode(node.nodeId)}
                empty="No nodes reported."
                columns={[
                  { title: "Tenant", cell: () => <span class="muted">all</span>, nowrap: true },
                  { title: "Node", cell: (node) => (node.nodeId === data.askedNode ? <strong title="the node answering">{node.nodeId}</strong> : node.nodeId), nowrap: true },
                  { title: "Address", cell: (node) => <code>{node.address}</code>, nowrap: true },
                  { title: "Reachable", cell: (node) => (node.reachable ? "yes" : <span class="badge priority-critical">no</span>), nowrap: true },
                  { title: "Draining", cell: (node) => (node.draining ? <span class="badge priority-medium">draining</span> : "no"), nowrap: true },
                  { title: "Received/s", cell: (node) => quantity(node.eventsReceivedPerSecond), nowrap: true },
                  { title: "Stored/s", cell: (node) => quantity(node.eventsStoredPerSecond), nowrap: true },
                  { title: "Correlation/s", cell: (node) => quantity(node.correlationEventsPerSecond), nowrap: true }
                ]}
              />
            </div>
            <div class="panel">
              <h2>Events per second</h2>
              <ClusterChart samples={samples.current} spanMillis={SpanMillis} />
            </div>
          </div>
          <h2>Partitions</h2>
          <DataTable<ClusterEntry>
            label="Partitions"
            rows={data.partitions}
            rowKey={partitionKey}
            selected={selectedPartition}
            onSelect={(entry) => setSelectedPartition(partitionKey(entry))}
            empty="No correlator partitions."
            columns={[
              { title: "Tenant", cell: (entry) => correlatorOf(entry.correlatorId)?.tenantName ?? <span class="muted">–</span>, nowrap: true },
              {
                title: "Correlator",
                cell: (entry) => {
                  const known = correlatorOf(entry.correlatorId)
                  return known === undefined ? <code>{entry.correlatorId}</code> : <span title={entry.correlatorId}>{known.name}</span>
                }
              },
              { title: "Partition", cell: (entry) => entry.partition, nowrap: true },
              { title: "Owner", cell: (entry) => entry.ownerNode ?? <span class="badge priority-critical">none</span>, nowrap: true },
              { title: "Epoch", cell: (entry) => quantity(entry.epoch), nowrap: true },
              { title: "Applied sequence", cell: (entry) => quantity(entry.appliedSequence), nowrap: true },
              { title: "Lag", cell: (entry) => (entry.lag !== null && entry.lag > 1000 ? <span class="badge priority-high">{quantity(entry.lag)}</span> : quantity(entry.lag)), nowrap: true }
            ]}
          />
        </>
      )}
    </section>
  )
}
