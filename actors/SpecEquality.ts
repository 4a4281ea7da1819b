// Structural equality of decoded resource values (rules, active lists, variables): what decides
// whether a correlator reload keeps a rule's groups. Pure; object key order does not matter,
// array order does.

/** True when `a` and `b` are the same JSON-like value (plain objects, arrays, primitives). */
export const sameValue = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a)) {
    const other = b as ReadonlyArray<unknown>
    return a.length === other.length && a.every((item, index) => sameValue(item, other[index]))
  }
  const left = a as Record<string, unknown>
  const right = b as Record<string, unknown>
  // An absent key and a key holding undefined are the same field (optional schema fields).
  const keys = new Set([...Object.keys(left), ...Object.keys(right)])
  for (const key of keys) if (!sameValue(left[key], right[key])) return false
  return true
}
