/** The output pane: stdout/stderr lines, pinned to the bottom unless the user scrolled up.
 * Lines are batched per animation frame and the pane keeps the last MAX_LINES, so a chatty
 * program cannot freeze the page.
 */

const MAX_LINES = 5000;

export function createConsole(pane) {
  let pinned = true;
  let pending = [];
  let scheduled = false;

  pane.addEventListener("scroll", () => {
    pinned = pane.scrollHeight - pane.scrollTop - pane.clientHeight < 8;
  });

  function flush() {
    scheduled = false;
    const frag = document.createDocumentFragment();
    for (const [kind, text] of pending) {
      const line = document.createElement("div");
      line.className = `line ${kind}`;
      line.textContent = text === "" ? "\u200b" : text;
      frag.append(line);
    }
    pending = [];
    pane.append(frag);
    while (pane.childElementCount > MAX_LINES) pane.firstElementChild.remove();
    if (pinned) pane.scrollTop = pane.scrollHeight;
  }

  function write(kind, text) {
    for (const part of String(text).split("\n")) pending.push([kind, part]);
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(flush);
    }
  }

  /** A line with a button, e.g. "Run on Server": a one-click way out of what the line above says; returns the line. */
  function action(text, label, onClick) {
    flush();
    const line = document.createElement("div");
    line.className = "line info action";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.textContent = label;
    button.addEventListener("click", () => {
      button.disabled = true;
      onClick();
    });
    line.append(`${text} `, button);
    pane.append(line);
    if (pinned) pane.scrollTop = pane.scrollHeight;
    return line;
  }

  return {
    /** kind: "stdout" | "stderr" | "info" (the page's own notes, e.g. "run started"). */
    write,
    action,
    clear() {
      pending = [];
      pane.replaceChildren();
      pinned = true;
    },
    text: () => pane.innerText,
  };
}
