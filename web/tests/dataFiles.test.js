// Unit tests of the data files' bounds (web/src/ui/dataFiles.js).
import assert from "node:assert/strict";
import { test } from "node:test";

import { addFiles, formatBytes, MAX_TOTAL_BYTES } from "../src/ui/dataFiles.js";

test("files are added by name; the same name replaces", () => {
  const { files } = addFiles([{ name: "a.csv", size: 3 }], [{ name: "b.npy", size: 4 }, { name: "dir/a.csv", size: 9 }]);
  assert.deepEqual(files.map((f) => [f.name, f.size]), [["a.csv", 9], ["b.npy", 4]]);
});

test("over the bounds: a clear error and nothing added", () => {
  const big = addFiles([{ name: "a", size: MAX_TOTAL_BYTES - 10 }], [{ name: "b", size: 11 }]);
  assert.match(big.error, /^These files come to 32\.0 MB; the limit is 32\.0 MB in all\./);
  assert.match(addFiles([], [{ name: "a", size: 1 }, { name: "b", size: 1 }], { maxFiles: 1 }).error, /At most 1 files/);
  assert.match(addFiles([], [{ name: ".hidden", size: 1 }]).error, /not a usable file name/);
});

test("sizes read well", () => {
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(2048), "2.0 KB");
  assert.equal(formatBytes(5 * 1024 * 1024), "5.0 MB");
});
