/** The Examples menu, built from web/examples/*.py: each file starts with `# Title` and `# Expected: ...`. */

const files = import.meta.glob("../../examples/*.py", { query: "?raw", import: "default", eager: true });

function parse(path, code) {
  const id = path.split("/").pop().replace(/\.py$/, "");
  const lines = code.split("\n");
  const title = lines[0]?.startsWith("#") ? lines[0].replace(/^#\s*/, "").trim() : id;
  const expected = lines.find((l) => /^#\s*Expected:/i.test(l))?.replace(/^#\s*Expected:\s*/i, "").trim() || "";
  return { id, title, expected, code };
}

export const examples = Object.entries(files)
  .map(([path, code]) => parse(path, code))
  .sort((a, b) => a.title.localeCompare(b.title));

export const exampleById = (id) => examples.find((e) => e.id === id) || null;

/** Fill the <select>: a placeholder, then one option per example. */
export function fillExamplesMenu(select) {
  select.replaceChildren(new Option("Examples…", ""));
  for (const ex of examples) {
    const opt = new Option(ex.title, ex.id);
    opt.title = ex.expected;
    select.append(opt);
  }
}
