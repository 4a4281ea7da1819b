// What every store's list and get share, so both backends filter, page and compare ids alike.

/** The key form of a UUID: stores compare ids in lower case, as Cassandra's uuid type does. */
export const uuidKey = (id: string): string => id.toLowerCase()

/** Offset and size of a 1-based page; pages before the first read as the first, sizes below 0 as 0. */
export const pageBounds = (page: number, pageSize: number): { readonly offset: number; readonly size: number } => {
  const size = Number.isFinite(pageSize) ? Math.max(0, Math.trunc(pageSize)) : 0
  const index = Number.isFinite(page) ? Math.max(1, Math.trunc(page)) : 1
  return { offset: (index - 1) * size, size }
}

/** The items of a 1-based page, bounded as pageBounds says. */
export const pageOf = <A>(items: ReadonlyArray<A>, page: number, pageSize: number): Array<A> => {
  const { offset, size } = pageBounds(page, pageSize)
  return items.slice(offset, offset + size)
}

/** A copy of a caller's pattern whose `test` keeps no position between calls (no g or y flag). */
export const statelessPattern = (pattern: RegExp): RegExp =>
  pattern.global || pattern.sticky ? new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, "")) : pattern
