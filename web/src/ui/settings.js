/** Page settings kept in localStorage: run target and the server's URL and token.
 * The token lives only here and in the Authorization header / websocket auth message, never in a URL.
 */

const KEY = "torchpad.settings";
const defaults = { target: "browser", serverUrl: "", token: "" };

export function loadSettings() {
  try {
    return { ...defaults, ...JSON.parse(localStorage.getItem(KEY) || "{}") };
  } catch {
    return { ...defaults };
  }
}

export function saveSettings(settings) {
  localStorage.setItem(KEY, JSON.stringify({ ...loadSettings(), ...settings }));
}

/** The server's base URL without a trailing slash, or "" when unset or invalid. */
export function normalizeServerUrl(text) {
  const t = (text || "").trim();
  if (!t) return "";
  try {
    const url = new URL(/^https?:\/\//.test(t) ? t : `http://${t}`);
    return url.origin + url.pathname.replace(/\/+$/, "");
  } catch {
    return "";
  }
}

/** Ask the server's /api/info with `token`: null when it answers, else why not (shown in the dialog). */
export async function checkServer(serverUrl, token, fetchImpl = globalThis.fetch) {
  let res;
  try {
    res = await fetchImpl(`${serverUrl}/api/info`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch {
    return `Cannot reach ${serverUrl}: is \`torchpad serve\` running there?`;
  }
  if (res.status === 401 || res.status === 403) {
    return token
      ? "The server refused this token. Copy it from where `torchpad serve` runs (it prints it at start)."
      : "This server needs a token: `torchpad serve` prints it where it runs.";
  }
  if (!res.ok) return `${serverUrl}/api/info answered HTTP ${res.status}: is this a TorchPad server?`;
  const info = await res.json().catch(() => null);
  return info && typeof info === "object" ? null : `${serverUrl} did not answer like a TorchPad server`;
}

/** Wire the settings <dialog>: fill it from storage; Save (or Enter) checks the token, then saves and reports the change. */
export function setupSettingsDialog(dialog, { onSave }) {
  const form = dialog.querySelector("form");
  const url = form.elements.serverUrl;
  const token = form.elements.token;
  const error = dialog.querySelector("[data-role=settings-error]");
  const open = () => {
    const s = loadSettings();
    url.value = s.serverUrl || (location.protocol.startsWith("http") ? location.origin : "");
    token.value = s.token;
    error.textContent = "";
    dialog.showModal();
    url.focus();
  };
  const save = form.querySelector("button[value=save]");
  dialog.querySelector("button[value=cancel]").addEventListener("click", () => dialog.close("cancel"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault(); // closes only once the server accepted the token
    if (save.disabled) return;
    const serverUrl = normalizeServerUrl(url.value);
    if (url.value.trim() && !serverUrl) {
      error.textContent = "That is not a URL; try http://host:8000";
      return;
    }
    const next = { serverUrl, token: token.value.trim() };
    if (serverUrl) {
      error.textContent = "";
      save.disabled = true;
      save.textContent = "Checking…";
      const problem = await checkServer(serverUrl, next.token);
      save.disabled = false;
      save.textContent = "Save";
      if (problem) {
        error.textContent = problem;
        (problem.includes("token") ? token : url).focus();
        return;
      }
    }
    saveSettings(next);
    dialog.close("save");
    onSave(loadSettings());
  });
  return { open };
}
