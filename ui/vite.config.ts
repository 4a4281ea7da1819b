// Builds the console (ui/src) into ui/dist, which the gateway's console server serves on 7220.
// Preact through the automatic JSX runtime; no dev server is part of `npm start`.
import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  logLevel: "warn",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: true, chunkSizeWarningLimit: 400 },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } }
})
