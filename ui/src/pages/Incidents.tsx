// The Incidents page (issue 8): to be built.
export function IncidentsPage() {
  return (
    <section>
      <h1>Incidents</h1>
    </section>
  )
}
