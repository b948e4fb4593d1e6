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

/** Wire the settings <dialog>: fill it from storage, save on submit, report the change. */
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
  form.addEventListener("submit", (e) => {
    if (e.submitter?.value === "cancel") return;
    const serverUrl = normalizeServerUrl(url.value);
    if (url.value.trim() && !serverUrl) {
      e.preventDefault();
      error.textContent = "That is not a URL; try http://host:8000";
      return;
    }
    saveSettings({ serverUrl, token: token.value.trim() });
    onSave(loadSettings());
  });
  return { open };
}
