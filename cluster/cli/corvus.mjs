#!/usr/bin/env node
// The `corvus` executable (package.json "bin"): registers tsx's loader with the project's
// tsconfig, so the TypeScript CLI runs the same from any working directory, then hands over to
// cluster/cli/corvus.ts.
import { fileURLToPath } from "node:url"
import { register } from "tsx/esm/api"

register({ tsconfig: fileURLToPath(new URL("../../tsconfig.json", import.meta.url)) })
await import("./corvus.ts")
