// Unit tests of the settings dialog's server check (web/src/ui/settings.js) against a real HTTP server.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, test } from "node:test";

import { checkServer, normalizeServerUrl } from "../src/ui/settings.js";

let server;
let base;
before(async () => {
  server = createServer((req, res) => {
    if (req.url === "/teapot/api/info") return res.writeHead(418).end();
    if (req.url !== "/api/info") return res.writeHead(404).end();
    if (req.headers.authorization !== "Bearer right") return res.writeHead(401, { "Content-Type": "application/json" }).end("{}");
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ version: "0.1.0" }));
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

test("the right token passes", async () => {
  assert.equal(await checkServer(base, "right"), null);
});

test("a wrong or missing token is refused with where to find it", async () => {
  assert.match(await checkServer(base, "wrong"), /refused this token.*printed|refused this token.*torchpad serve/);
  assert.match(await checkServer(base, ""), /needs a token: `torchpad serve` prints it/);
});

test("an unreachable server or another service is named", async () => {
  const closed = createServer();
  await new Promise((ok) => closed.listen(0, "127.0.0.1", ok));
  const dead = `http://127.0.0.1:${closed.address().port}`;
  await new Promise((ok) => closed.close(ok));
  assert.match(await checkServer(dead, "right"), /^Cannot reach http:\/\/127\.0\.0\.1:\d+/);
  assert.match(await checkServer(`${base}/teapot`, "right"), /HTTP 418: is this a TorchPad server/);
});

test("server URLs are normalized", () => {
  assert.equal(normalizeServerUrl("127.0.0.1:8000/"), "http://127.0.0.1:8000");
  assert.equal(normalizeServerUrl("  "), "");
  assert.equal(normalizeServerUrl("http://"), "");
});
