// The Events page (issue 8): to be built.
export function EventsPage() {
  return (
    <section>
      <h1>Events</h1>
    </section>
  )
}
