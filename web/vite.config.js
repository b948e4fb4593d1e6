/** `npm run build` -> web/dist: the playground page, the runtime harness page, the Pyodide
 * runtime under /pyodide/ and the kernel zip under /generated/ (see build/runtimeFiles.js). */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig } from "vite";
import { torchpadRuntime } from "./build/runtimeFiles.js";

const root = import.meta.dirname;
const pages = ["index.html", "runtime-harness.html"].filter((p) => existsSync(resolve(root, p)));
// Cross-origin isolation (SharedArrayBuffer for Stop) in `vite dev`/`preview` too; the server adds them in production.
const isolation = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

export default defineConfig({
  root,
  publicDir: resolve(root, "public"),
  build: {
    outDir: resolve(root, "dist"),
    emptyOutDir: true,
    target: "es2022",
    rollupOptions: { input: Object.fromEntries(pages.map((p) => [p.replace(/\.html$/, ""), resolve(root, p)])) },
  },
  worker: { format: "es" },
  server: { headers: isolation },
  preview: { headers: isolation },
  plugins: [torchpadRuntime()],
});
