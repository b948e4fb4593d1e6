/** Share links: the program travels in the URL fragment (never sent to a server), compressed.
 *
 * Payload {code, target, example, results?} -> JSON -> UTF-8 -> raw deflate (CompressionStream) -> base64url.
 * `results` (optional): a run's results (runRecord.shareResults), shown read-only when the link opens.
 * The fragment is `#p=<data>`; a short link's fragment is `#s=<id>` (or the server's `/s/<id>` path).
 */

export const MAX_LINK_CHARS = 8000;

async function pipe(bytes, stream) {
  const out = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

function toBase64url(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64url(text) {
  const b64 = text.replaceAll("-", "+").replaceAll("_", "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** {code, target, example} -> the base64url string that goes after `#p=`. */
export async function encodePayload({ code, target, example, results = null }) {
  const json = JSON.stringify({ v: 1, code, target, example: example || null, ...(results ? { results } : {}) });
  return toBase64url(await pipe(new TextEncoder().encode(json), new CompressionStream("deflate-raw")));
}

/** The inverse of encodePayload; throws a readable Error on a damaged link. */
export async function decodePayload(data) {
  let obj;
  try {
    const bytes = await pipe(fromBase64url(data), new DecompressionStream("deflate-raw"));
    obj = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error("This share link is damaged (it could not be decompressed). Ask for the link again.");
  }
  if (typeof obj?.code !== "string") throw new Error("This share link holds no program.");
  const results = obj.results && typeof obj.results === "object" && typeof obj.results.metrics === "object" && Array.isArray(obj.results.output)
    ? obj.results : null;
  return { code: obj.code, target: obj.target === "server" ? "server" : "browser", example: obj.example || null, results };
}

/** Full link for the current page with the payload in the fragment. */
export function linkFor(data, base = location.href) {
  const url = new URL(base);
  url.hash = `p=${data}`;
  if (url.pathname.startsWith("/s/")) url.pathname = "/";
  return url.toString();
}

/** What the current URL carries: {kind: "payload", data} | {kind: "short", id} | null. */
export function sharedFromLocation(loc = location) {
  const hash = new URLSearchParams(loc.hash.slice(1));
  if (hash.get("p")) return { kind: "payload", data: hash.get("p") };
  if (hash.get("s")) return { kind: "short", id: hash.get("s") };
  const m = loc.pathname.match(/^\/s\/([A-Za-z0-9_-]+)\/?$/);
  return m ? { kind: "short", id: m[1] } : null;
}
