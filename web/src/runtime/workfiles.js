/** The browser run's working directory (Pyodide's in-memory file system, the program's cwd): files
 * the page drops in before a run, and files the program wrote, read back for download.
 * Used by worker.js for {type: "files"} messages; `FS` is `pyodide.FS`.
 *
 *   {op: "put", files: [{name, bytes: Uint8Array}]} -> {names}
 *   {op: "get", name}                               -> {bytes} (transferable)
 */

export const WORK_DIR = "/home/pyodide";

/** A plain file name in the working directory: no folders, no hidden or special names. */
export function safeName(name) {
  const base = String(name).split(/[\\/]/).pop().trim();
  if (!base || base === "." || base === ".." || base.startsWith(".") || base.length > 200) {
    throw new Error(`Not a usable file name: ${JSON.stringify(String(name).slice(0, 80))}`);
  }
  return base;
}

export function handleFiles(FS, msg) {
  if (msg.op === "put") {
    const names = msg.files.map(({ name, bytes }) => {
      const safe = safeName(name);
      FS.writeFile(`${WORK_DIR}/${safe}`, bytes);
      return safe;
    });
    return { names };
  }
  if (msg.op === "get") {
    const path = `${WORK_DIR}/${safeName(msg.name)}`;
    try {
      return { bytes: FS.readFile(path) };
    } catch {
      throw new Error(`${msg.name} is no longer in the browser's working directory (it is kept only until the page reloads)`);
    }
  }
  throw new Error(`unknown files op ${msg.op}`);
}
