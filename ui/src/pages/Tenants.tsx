// The Tenants page (issue 8): to be built.
export function TenantsPage() {
  return (
    <section>
      <h1>Tenants</h1>
    </section>
  )
}
