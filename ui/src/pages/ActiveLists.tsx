// The ActiveLists page (issue 8): to be built.
export function ActiveListsPage() {
  return (
    <section>
      <h1>ActiveLists</h1>
    </section>
  )
}
