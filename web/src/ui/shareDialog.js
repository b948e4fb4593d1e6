/** The Share dialog: builds the link, copies it, and offers a server short link for long ones. */
import { encodePayload, linkFor, MAX_LINK_CHARS } from "./share.js";

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // no clipboard permission: the link stays selected in the field for Ctrl+C
  }
}

/** getPayload(withResults) -> {code, target, example, results?}; getServer() -> {runner, ok, text} for short links;
 * getResultsRun() -> the finished run whose results may go along (or null). */
export function setupShareDialog(dialog, { getPayload, getServer, getResultsRun = () => null }) {
  const withResults = dialog.querySelector("[name=with-results]");
  const resultsLabel = dialog.querySelector("[data-role=results-label]");
  const input = dialog.querySelector("[name=link]");
  const note = dialog.querySelector("[data-role=share-note]");
  const shortBtn = dialog.querySelector("[data-role=short-link]");
  const copyBtn = dialog.querySelector("[data-role=copy-link]");
  let data = "";

  async function showLink(link, message) {
    input.value = link;
    const copied = await copy(link);
    note.textContent = `${message} ${copied ? "Copied to the clipboard." : "Press Ctrl+C to copy it."}`;
    input.focus();
    input.select();
  }

  async function make() {
    input.value = ""; // never show the previous link while this one is being made
    note.textContent = "Making the link…";
    shortBtn.hidden = true;
    data = await encodePayload(getPayload(withResults.checked));
    const link = linkFor(data);
    if (link.length <= MAX_LINK_CHARS && !withResults.checked) return showLink(link, "The program is inside the link itself.");
    if (withResults.checked) {
      const server = getServer();
      input.value = "";
      if (server.runner && server.ok) {
        shortBtn.hidden = false;
        note.textContent = `Results travel in a short link stored on ${server.runner.url}.`;
        shortBtn.focus();
      } else {
        note.textContent = `Results need a short link, and so a connected server (${server.runner ? server.text.toLowerCase() : "none set in Settings"}).`;
      }
      return;
    }
    const server = getServer();
    input.value = link;
    input.select();
    const why = `This link is ${link.length.toLocaleString("en")} characters, more than ${MAX_LINK_CHARS.toLocaleString("en")} (too long for many chat apps and browsers).`;
    if (server.runner && server.ok) {
      shortBtn.hidden = false;
      note.textContent = `${why} A short link stores the program on ${server.runner.url}.`;
      shortBtn.focus();
    } else {
      note.textContent = `${why} A short link needs a connected server (${server.runner ? server.text.toLowerCase() : "none set in Settings"}); you can still copy the long link.`;
    }
  }

  async function open() {
    const run = getResultsRun();
    withResults.checked = false;
    withResults.closest("label").hidden = !run;
    if (run) resultsLabel.textContent = `Include the results of ${run.name} (metrics, images, the output's end)`;
    dialog.showModal();
    await make();
  }
  withResults.addEventListener("change", () => make());

  shortBtn.addEventListener("click", async () => {
    const { runner } = getServer();
    shortBtn.disabled = true;
    try {
      const res = await runner.createShare(data);
      shortBtn.hidden = true;
      await showLink(new URL(res.url || `/s/${res.id}`, runner.url + "/").toString(), "Short link stored on the server.");
    } catch (e) {
      note.textContent = `Could not create a short link: ${e.message}`;
    } finally {
      shortBtn.disabled = false;
    }
  });
  copyBtn.addEventListener("click", async () => {
    input.select();
    note.textContent = (await copy(input.value)) ? "Copied to the clipboard." : "Press Ctrl+C to copy it.";
  });

  return { open };
}
