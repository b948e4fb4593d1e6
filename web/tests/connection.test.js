// Unit tests of pure page modules, run with Node's test runner (`npm run unit`).
import assert from "node:assert/strict";
import { test } from "node:test";

import { describeInfo } from "../src/ui/connection.js";

test("a CPU-only local server", () => {
  assert.equal(describeInfo({ cuda: { devices: [] }, queue: { queued: 0, running: 1 } }), "CPU only · queue 0 · 1 running");
});

test("GPUs of the same model are counted", () => {
  const info = { cuda: { devices: [{ name: "NVIDIA H100" }, { name: "NVIDIA H100" }] }, executor: { name: "local" }, queue: { queued: 3 } };
  assert.equal(describeInfo(info), "2 × NVIDIA H100 · queue 3");
});

test("a Ray server shows the cluster's nodes and free GPUs, not the head's own", () => {
  const info = {
    cuda: { devices: [] },
    executor: { name: "ray", nodes: [{}, {}], gpus_total: 8, gpus_free: 6 },
    queue: { queued: 2 },
  };
  assert.equal(describeInfo(info), "Ray · 2 nodes · 6/8 GPUs free · queue 2");
  assert.equal(describeInfo({ executor: { name: "ray", nodes: [{}], gpus_total: 0 } }), "Ray · 1 node · CPU only");
});
