// Records in package-lock.json the platform packages of other systems (darwin, win32, musl…)
// that this machine's registry does not serve. npm lists such optional dependencies of a
// package (buf, duckdb, rollup…) but cannot lock what it cannot fetch, and `npm ci` then
// refuses the lockfile as out of sync. Each placeholder is optional, so no system installs it
// unless its own registry serves it. Runs as the postinstall script, so every `npm install`
// leaves a lockfile that `npm ci` accepts; `npm install <package>` does not run it, so run
// `npm run lock:fix` after adding a dependency.
import { readFileSync, writeFileSync } from "node:fs"

const path = new URL("../../package-lock.json", import.meta.url)
const lock = JSON.parse(readFileSync(path, "utf8"))
const packages = lock.packages
let added = 0
for (const [location, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    const nested = `${location}/node_modules/${name}`
    const hoisted = `node_modules/${name}`
    if (packages[nested] !== undefined || packages[hoisted] !== undefined) continue
    // Beside the package that wants it: a versionless entry at the top would not satisfy the
    // dependency, and npm would place the unresolvable package there anyway.
    packages[nested] = { optional: true, ...(entry.dev === true ? { dev: true } : {}) }
    added++
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)))
lock.packages = sorted
writeFileSync(path, JSON.stringify(lock, null, 2) + "\n")
console.log(`lock-foreign-optionals: ${added} placeholder(s) added`)
