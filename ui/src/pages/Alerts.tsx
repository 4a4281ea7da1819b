// The Alerts page (issue 8): to be built.
export function AlertsPage() {
  return (
    <section>
      <h1>Alerts</h1>
    </section>
  )
}
