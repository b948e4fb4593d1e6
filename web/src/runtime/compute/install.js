/** Installs the page's compute library in Python: torchpad.kernel.compute's float32 products go to it.
 *
 *   installCompute(pyodide, compute)   // compute: what litertGemm.js's loadLitert or tfjsGemm.js's loadCompute gave
 *
 * Also registers `_torchpad_compute` (path, reason, threads, memory() -> JSON bytes) for programs and benchmarks;
 * on the NumPy path only that. A library that takes transposed operands as they are (`compute.transposes`)
 * gets them so; otherwise NumPy transposes first (kernel/compute.py, _host_product).
 */
export function installCompute(pyodide, compute) {
  const info = { path: compute.path, reason: compute.reason || "", threads: compute.threads || 0 };
  const memory = () => JSON.stringify(compute.memory?.() || { pyodide: pyodide._module.HEAPU8.buffer.byteLength, library: 0 });
  if (!compute.gemm) {
    pyodide.registerJsModule("_torchpad_compute", { ...info, memory });
    return;
  }
  compute.bindHeap(() => pyodide._module.HEAPF32);
  const { gemm, hold, release } = compute;
  pyodide.registerJsModule("_torchpad_compute", { ...info, gemm, hold, release, memory });
  pyodide.runPython(
    "import _torchpad_compute as _c\nfrom torchpad.kernel import compute as _k\n" +
      `_k.use_host_gemm(_c.gemm, _c.path, _c.hold, _c.release, transposes=${compute.transposes ? "True" : "False"})\ndel _c, _k`,
  );
}
