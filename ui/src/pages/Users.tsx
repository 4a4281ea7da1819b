// The Users page (issue 8): to be built.
export function UsersPage() {
  return (
    <section>
      <h1>Users</h1>
    </section>
  )
}
