/** Files the user gives the program (drop on the page or "Add files…"): kept in the page, written
 * into the browser run's working directory before each run. Bounded, so a big drop fails clearly
 * instead of freezing the tab. The pure part (`addFiles`, `formatBytes`) is checked by web/tests/dataFiles.test.js.
 */

export const MAX_TOTAL_BYTES = 32 * 1024 * 1024;
export const MAX_FILES = 50;

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The next file list after adding `incoming` [{name, size, bytes?}] (same name replaces), or {error}. */
export function addFiles(current, incoming, { maxBytes = MAX_TOTAL_BYTES, maxFiles = MAX_FILES } = {}) {
  const next = new Map(current.map((f) => [f.name, f]));
  for (const f of incoming) {
    const name = String(f.name).split(/[\\/]/).pop();
    if (!name || name.startsWith(".")) return { error: `${JSON.stringify(f.name)} is not a usable file name` };
    next.set(name, { ...f, name });
  }
  const files = [...next.values()];
  const total = files.reduce((n, f) => n + f.size, 0);
  if (files.length > maxFiles) return { error: `At most ${maxFiles} files can be added (that would make ${files.length})` };
  if (total > maxBytes) {
    return { error: `These files come to ${formatBytes(total)}; the limit is ${formatBytes(maxBytes)} in all. Use smaller files (e.g. a sample of the data).` };
  }
  return { files };
}

/** Wire the files bar: a list with remove buttons, "Add files…" and dropping anywhere on the page. */
export function setupDataFiles(bar, { onError, onChange = () => {} }) {
  const list = bar.querySelector("[data-role=files]");
  const picker = bar.querySelector("input[type=file]");
  let files = [];

  function render() {
    list.replaceChildren(...files.map((f) => {
      const li = document.createElement("li");
      li.className = "data-file";
      li.dataset.name = f.name;
      li.textContent = `${f.name} · ${formatBytes(f.size)}`;
      const rm = document.createElement("button");
      rm.type = "button";
      rm.className = "icon";
      rm.textContent = "✕";
      rm.setAttribute("aria-label", `Remove ${f.name}`);
      rm.addEventListener("click", () => {
        files = files.filter((x) => x !== f);
        render();
        onChange(files);
      });
      li.append(rm);
      return li;
    }));
    bar.dataset.count = String(files.length);
  }

  async function add(fileList) {
    const incoming = [...fileList].map((file) => ({ name: file.name, size: file.size, file }));
    const result = addFiles(files, incoming);
    if (result.error) return onError(result.error);
    for (const f of result.files) if (f.file && !f.bytes) f.bytes = new Uint8Array(await f.file.arrayBuffer());
    files = result.files.map(({ file, ...rest }) => rest);
    render();
    onChange(files);
  }

  picker.addEventListener("change", () => {
    add(picker.files);
    picker.value = "";
  });
  addEventListener("dragover", (e) => {
    if (![...(e.dataTransfer?.types || [])].includes("Files")) return;
    e.preventDefault();
    document.body.dataset.dropping = "true";
  });
  addEventListener("dragleave", (e) => e.relatedTarget == null && delete document.body.dataset.dropping);
  addEventListener("drop", (e) => {
    delete document.body.dataset.dropping;
    if (!e.dataTransfer?.files?.length) return;
    e.preventDefault();
    add(e.dataTransfer.files);
  });
  render();
  return { files: () => files, add };
}
