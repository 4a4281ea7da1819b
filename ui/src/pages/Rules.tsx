// The Rules page (issue 8): to be built.
export function RulesPage() {
  return (
    <section>
      <h1>Rules</h1>
    </section>
  )
}
