/** Unpacks a zip archive (NumPy's wheel, its build-time bytecode, the kernel zip) into Pyodide's file
 * system, and keeps the unpacked files in the browser's Cache Storage, keyed by the archive's sha256,
 * so that the next visit writes them back in one piece instead of unpacking again.
 *
 * Unpacking is Python's zipfile in WebAssembly (Pyodide's unpackArchive): for NumPy's 415 files
 * (10.7 MB) one of the larger steps of a warm boot. Unpacking from JavaScript was no faster: the
 * browser's DecompressionStream costs about 2 ms a stream (415 streams: 0.8 s), and a JavaScript
 * inflater (fflate) runs in the interpreter in a fresh worker (1.6 s). One cached blob is one read,
 * and MEMFS keeps each file as a view of it without a copy.
 *
 * Cache entry: u32 (little-endian) length of a JSON header [[name, size], ...], the header, then the
 * files' bytes in that order. Entries of the same `kind` with another key are deleted when one is added.
 */

const CACHE = "torchpad-unpacked-v1";
const ENTRY_URL = `${self.location.origin}/unpacked/`; // never fetched: only names entries in the cache

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The file names in a zip's central directory (no unpacking): what Python's zipfile will write. */
function zipNames(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = bytes.length - 22;
  const stop = Math.max(0, end - 0xffff);
  while (end >= stop && v.getUint32(end, true) !== 0x06054b50) end--;
  if (end < stop) throw new Error("not a zip archive (no end of central directory)");
  const count = v.getUint16(end + 10, true);
  let at = v.getUint32(end + 16, true);
  if (count === 0xffff || at === 0xffffffff) throw new Error("a zip64 archive");
  const names = [];
  for (let i = 0; i < count; i++) {
    if (v.getUint32(at, true) !== 0x02014b50) throw new Error("a broken central directory");
    const length = v.getUint16(at + 28, true);
    names.push(new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + length)));
    at += 46 + length + v.getUint16(at + 30, true) + v.getUint16(at + 32, true);
  }
  return names.filter((n) => !n.endsWith("/"));
}

function pack(FS, dir, names) {
  const files = names.map((n) => FS.readFile(`${dir}/${n}`));
  const header = new TextEncoder().encode(JSON.stringify(names.map((n, i) => [n, files[i].length])));
  const out = new Uint8Array(4 + header.length + files.reduce((s, f) => s + f.length, 0));
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  let at = 4 + header.length;
  for (const f of files) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function unpackEntry(FS, dir, blob) {
  const bytes = new Uint8Array(blob);
  const headerLength = new DataView(blob).getUint32(0, true);
  const list = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headerLength)));
  let at = 4 + headerLength;
  if (at + list.reduce((s, [, size]) => s + size, 0) !== bytes.length) throw new Error("a cached entry of the wrong size");
  return list.map(([name, size]) => {
    const path = `${dir}/${name}`;
    FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
    FS.writeFile(path, bytes.subarray(at, (at += size)), { canOwn: true });
    return path;
  });
}

async function remember(cache, kind, url, body) {
  for (const old of await cache.keys()) {
    if (old.url.startsWith(`${ENTRY_URL}${kind}-`) && old.url !== url) await cache.delete(old);
  }
  await cache.put(url, new Response(body, { headers: { "content-type": "application/octet-stream" } }));
}

/** Writes the files of `zip` (bytes) under `dir`, from the cache when this archive was unpacked before;
 * returns {paths (in archive order), cached (bool)}. Without Cache Storage it just unpacks. */
export async function unpackCached(pyodide, zip, dir, kind) {
  const bytes = zip instanceof Uint8Array ? zip : new Uint8Array(zip);
  const cache = await self.caches?.open(CACHE).catch(() => null);
  const url = cache && `${ENTRY_URL}${kind}-${await sha256Hex(bytes)}`;
  const hit = cache && (await cache.match(url).catch(() => null));
  if (hit) {
    try {
      return { paths: unpackEntry(pyodide.FS, dir, await hit.arrayBuffer()), cached: true };
    } catch (e) {
      console.warn(`The cached ${kind} files were not usable, so the archive is unpacked again (${e?.message || e})`);
    }
  }
  pyodide.unpackArchive(bytes, "zip", { extractDir: dir });
  const names = zipNames(bytes);
  if (cache) {
    remember(cache, kind, url, pack(pyodide.FS, dir, names))
      .catch((e) => console.warn(`The unpacked ${kind} files were not cached (${e?.message || e})`));
  }
  return { paths: names.map((n) => `${dir}/${n}`), cached: false };
}
