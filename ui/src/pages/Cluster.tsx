// The Cluster page (issue 8): to be built.
export function ClusterPage() {
  return (
    <section>
      <h1>Cluster</h1>
    </section>
  )
}
