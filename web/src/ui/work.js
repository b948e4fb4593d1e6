/** Saved work: the editor's program autosaved to localStorage, plus one backup of work that a
 * shared link or an example replaced (offered in the Examples menu as "Your previous work").
 */

const KEY = "torchpad.work";
const BACKUP = "torchpad.work.previous";

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

/** {code, example, dirty}: dirty means edited since it came from an example or a link. */
export const loadWork = () => read(KEY);
export const saveWork = (work) => localStorage.setItem(KEY, JSON.stringify(work));
export const loadBackup = () => read(BACKUP);

/** True when `work` holds the user's own edits that would be lost by showing `code` instead. */
export const hasUnsavedWork = (work, code) => !!(work?.dirty && work.code.trim() && work.code !== code);

/** Keep the current work as the backup before something replaces it. */
export function backUp(work) {
  if (work?.code?.trim()) localStorage.setItem(BACKUP, JSON.stringify({ ...work, savedAt: Date.now() }));
}
