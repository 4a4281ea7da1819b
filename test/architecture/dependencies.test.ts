// Dependencies point the way DESIGN.md draws them: model <- actors <- cluster; model <- storage;
// collector and gateway use storage and model. actors/ stays pure: no I/O library, no cluster.
// ui/ (the console) imports no server code at all.
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../../", import.meta.url))

const sourceFiles = (folder: string): Array<string> =>
  readdirSync(join(root, folder)).flatMap((name) => {
    const path = join(folder, name)
    // Generated code, test support (testing/ folders, *Testing.ts) and the console build (dist/) are not product source.
    if (statSync(join(root, path)).isDirectory()) return name === "gen" || name === "testing" || name === "dist" ? [] : sourceFiles(path)
    return /\.tsx?$/.test(name) && !name.endsWith(".test.ts") && !name.endsWith("Testing.ts") ? [path] : []
  })

const importsOf = (file: string): Array<string> => {
  const text = readFileSync(join(root, file), "utf8")
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+["']([^"']+)["']|^\s*import\s+["']([^"']+)["']/gm)].map((match) => match[1] ?? match[2]!)
}

/** The top-level folder a relative import lands in, or the package name of a bare one. */
const targetOf = (file: string, specifier: string): { folder?: string; pkg?: string } => {
  if (specifier.startsWith(".")) return { folder: relative(root, resolve(root, dirname(file), specifier)).split("/")[0]! }
  return { pkg: specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]! }
}

const rules: Record<string, { folders: ReadonlyArray<string>; packages: ReadonlyArray<string> }> = {
  // node:crypto is computation, not I/O: password hashes and token digests are part of the vocabulary.
  model: { folders: ["model"], packages: ["effect", "re2js", "yaml", "node:crypto"] },
  // node:buffer is memory, not I/O: UUID words are printed through a reused byte buffer.
  actors: { folders: ["actors", "model"], packages: ["effect", "node:crypto", "node:buffer"] },
  storage: { folders: ["storage", "model", "ops"], packages: ["effect", "cassandra-driver", "@duckdb/node-api", "node:fs", "node:url", "node:path", "node:crypto"] },
  collector: {
    folders: ["collector", "model", "storage"],
    packages: ["effect", "node:net", "node:crypto", "node:tls", "node:dgram", "node:http", "node:https", "node:zlib", "node:fs", "node:path", "node:os", "node-forge", "@nats-io/transport-node", "re2js", "yaml"]
  },
  gateway: { folders: ["gateway", "model", "storage", "ui"], packages: ["effect", "fastify", "@fastify/static", "@fastify/swagger", "node:crypto", "node:fs", "node:url", "re2js"] },
  // The console reaches the server only through the public REST API: it imports nothing of the server's folders.
  ui: { folders: ["ui"], packages: ["preact", "vite", "node:url"] }
}

describe("module dependencies follow DESIGN.md", () => {
  for (const [folder, allowed] of Object.entries(rules)) {
    it(`${folder}/ imports only ${[...allowed.folders, ...allowed.packages].join(", ")}`, () => {
      const files = sourceFiles(folder)
      expect(files.length).toBeGreaterThan(0)
      const violations = files.flatMap((file) =>
        importsOf(file)
          .map((specifier) => ({ specifier, target: targetOf(file, specifier) }))
          .filter(({ target }) => (target.folder !== undefined ? !allowed.folders.includes(target.folder) : !allowed.packages.includes(target.pkg!)))
          .map(({ specifier }) => `${file} imports ${specifier}`)
      )
      expect(violations).toEqual([])
    })
  }
})
