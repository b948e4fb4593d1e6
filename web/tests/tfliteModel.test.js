// Unit tests of the one-product TFLite model writer (web/src/runtime/compute/tfliteModel.js): the flatbuffer is read
// back field by field with the flatbuffers package's ByteBuffer, by schema.fbs's slot numbers (LiteRT.js runs it in
// the page: e2e/runtime_compute.spec.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteBuffer } from "flatbuffers";

import { productModel } from "../src/runtime/compute/tfliteModel.js";

/** A reader over one table: field(slot) -> absolute position or 0 when absent. */
function reader(bytes) {
  const bb = new ByteBuffer(bytes);
  const table = (pos) => {
    const at = (slot) => {
      const off = bb.__offset(pos, 4 + 2 * slot);
      return off ? pos + off : 0;
    };
    return {
      int32: (slot, fallback = 0) => (at(slot) ? bb.readInt32(at(slot)) : fallback),
      int8: (slot, fallback = 0) => (at(slot) ? bb.readInt8(at(slot)) : fallback),
      string: (slot) => bb.__string(pos + bb.__offset(pos, 4 + 2 * slot)),
      ints: (slot) => {
        const start = bb.__vector(at(slot));
        return Array.from({ length: bb.__vector_len(at(slot)) }, (_, i) => bb.readInt32(start + 4 * i));
      },
      tables: (slot) => {
        const start = bb.__vector(at(slot));
        return Array.from({ length: bb.__vector_len(at(slot)) }, (_, i) => table(bb.__indirect(start + 4 * i)));
      },
      table: (slot) => table(bb.__indirect(at(slot))),
      bytesAt: (slot) => ({ start: bb.__vector(at(slot)), length: bb.__vector_len(at(slot)) }),
      has: (slot) => at(slot) !== 0,
    };
  };
  return { bb, model: table(bb.readInt32(bb.position()) + bb.position()) };
}

test("a product model: file identifier, schema version, one BATCH_MATMUL with adj_x/adj_y, shapes in the stored orders", () => {
  const { bb, model } = reader(productModel({ ba: 3, bb: 1, m: 2, k: 5, n: 4, ta: true, tb: false }));
  assert.equal(bb.getBufferIdentifier(), "TFL3");
  assert.equal(model.int32(0), 3); // version
  const [code] = model.tables(1);
  assert.equal(code.int32(3), 126); // builtin_code BATCH_MATMUL
  assert.equal(code.int8(0), 126); // deprecated_builtin_code (fits in a byte)
  const [graph] = model.tables(2);
  const shapes = graph.tables(0).map((t) => t.ints(0));
  assert.deepEqual(shapes, [[3, 5, 2], [1, 5, 4], [3, 2, 4]]); // A stored (ba, k, m) when ta, B (bb, k, n), C (max batch, m, n)
  assert.deepEqual(graph.tables(0).map((t) => t.int8(1)), [0, 0, 0]); // FLOAT32
  assert.deepEqual(graph.ints(1), [0, 1]); // inputs
  assert.deepEqual(graph.ints(2), [2]); // outputs
  const [op] = graph.tables(3);
  assert.deepEqual(op.ints(1), [0, 1]);
  assert.deepEqual(op.ints(2), [2]);
  assert.equal(op.int8(3), 101); // BuiltinOptions.BatchMatMulOptions
  const options = op.table(4);
  assert.deepEqual([options.int8(0), options.int8(1)], [1, 0]); // adj_x, adj_y
  assert.equal(model.tables(4).length, 1); // only the empty buffer
  assert.equal(graph.tables(0).every((t) => t.int32(2) === 0), true);
});

test("a transposed second operand is stored (bb, n, k) with adj_y", () => {
  const { model } = reader(productModel({ m: 6, k: 7, n: 8, tb: true }));
  const [graph] = model.tables(2);
  assert.deepEqual(graph.tables(0).map((t) => t.ints(0)), [[1, 6, 7], [1, 8, 7], [1, 6, 8]]);
  const options = graph.tables(3)[0].table(4);
  assert.deepEqual([options.int8(0), options.int8(1)], [0, 1]);
});

test("a constant second operand: its floats are the model's buffer 1 (16-byte aligned), and A is the only input", () => {
  const values = Float32Array.from({ length: 3 * 4 }, (_, i) => i * 0.5 - 2);
  const bytes = productModel({ m: 2, k: 3, n: 4, b: values });
  const { bb, model } = reader(bytes);
  const [graph] = model.tables(2);
  assert.deepEqual(graph.ints(1), [0]);
  assert.deepEqual(graph.tables(0).map((t) => t.int32(2)), [0, 1, 0]); // B's data is buffer 1
  const buffers = model.tables(4);
  assert.equal(buffers.length, 2);
  assert.equal(buffers[0].has(0), false); // buffer 0 stays empty (the schema's sentinel)
  const { start, length } = buffers[1].bytesAt(0);
  assert.equal(length, values.byteLength);
  assert.equal(start % 16, 0);
  assert.deepEqual(new Float32Array(bb.bytes().slice(start, start + length).buffer), values);
});
