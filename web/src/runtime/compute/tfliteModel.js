/** A one-operator TFLite model (a flatbuffer, schema.fbs of TensorFlow Lite): C = op(A) @ op(B) with
 * BATCH_MATMUL, both operands inputs, for LiteRT.js (litertGemm.js). Written with the `flatbuffers`
 * package's Builder, field by field: only the tables and fields this one graph needs.
 *
 *   productModel({ ba, bb, m, k, n, ta, tb })   // Uint8Array, file identifier "TFL3"
 *   productModel({ ..., b: Float32Array })       // B a constant of the model (its one input is A): XNNPACK packs it once
 */
import { Builder } from "flatbuffers";

// schema.fbs: BuiltinOperator.BATCH_MATMUL, BuiltinOptions.BatchMatMulOptions, TensorType.FLOAT32
const BATCH_MATMUL = 126;
const BATCH_MATMUL_OPTIONS = 101;
const FLOAT32 = 0;
const SCHEMA_VERSION = 3;

/** Shapes: A (ba, m, k) or (ba, k, m) when ta; B (bb, k, n) or (bb, n, k) when tb; C (max(ba, bb), m, n). */
export function productModel({ ba = 1, bb = 1, m, k, n, ta = false, tb = false, b: constantB = null }) {
  const b = new Builder(1024 + (constantB ? constantB.byteLength : 0));
  const ints = (xs) => {
    b.startVector(4, xs.length, 4);
    for (let i = xs.length - 1; i >= 0; i--) b.addInt32(xs[i]);
    return b.endVector();
  };
  const tables = (xs) => {
    b.startVector(4, xs.length, 4);
    for (let i = xs.length - 1; i >= 0; i--) b.addOffset(xs[i]);
    return b.endVector();
  };
  const table = (fields) => {
    b.startObject(fields.length ? Math.max(...fields.map(([slot]) => slot)) + 1 : 0);
    for (const [slot, kind, value] of fields) {
      if (kind === "offset") b.addFieldOffset(slot, value, 0);
      else if (kind === "int8") b.addFieldInt8(slot, value, 0);
      else b.addFieldInt32(slot, value, 0);
    }
    return b.endObject();
  };
  // Tensor: shape (0), type (1), buffer (2: an index into Model.buffers; 0, the empty one, means no constant data), name (3)
  const tensor = (shape, name, buffer = 0) => {
    const nameAt = b.createString(name), shapeAt = ints(shape);
    return table([[0, "offset", shapeAt], [1, "int8", FLOAT32], [2, "int32", buffer], [3, "offset", nameAt]]);
  };
  const tensorsAt = tables([
    tensor(ta ? [ba, k, m] : [ba, m, k], "a"),
    tensor(tb ? [bb, n, k] : [bb, k, n], "b", constantB ? 1 : 0),
    tensor([Math.max(ba, bb), m, n], "c"),
  ]);
  const optionsAt = table([[0, "int8", +ta], [1, "int8", +tb]]); // BatchMatMulOptions: adj_x, adj_y
  const inputsAt = ints([0, 1]), outputsAt = ints([2]);
  // Operator: opcode_index (0), inputs (1), outputs (2), builtin_options_type (3), builtin_options (4)
  const operatorAt = table([[1, "offset", inputsAt], [2, "offset", outputsAt], [3, "int8", BATCH_MATMUL_OPTIONS], [4, "offset", optionsAt]]);
  // OperatorCode: deprecated_builtin_code (0, capped at 127), version (2), builtin_code (3)
  const opcodeAt = table([[0, "int8", Math.min(BATCH_MATMUL, 127)], [2, "int32", 1], [3, "int32", BATCH_MATMUL]]);
  const graphInputsAt = ints(constantB ? [0] : [0, 1]), graphOutputsAt = ints([2]), operatorsAt = tables([operatorAt]), graphNameAt = b.createString("product");
  // SubGraph: tensors (0), inputs (1), outputs (2), operators (3), name (4)
  const graphAt = table([[0, "offset", tensorsAt], [1, "offset", graphInputsAt], [2, "offset", graphOutputsAt], [3, "offset", operatorsAt],
    [4, "offset", graphNameAt]]);
  const buffers = [table([])]; // Buffer: data (0)
  if (constantB) {
    // Builder.createByteVector, but 16-byte aligned (floats read in place)
    b.startVector(1, constantB.byteLength, 16);
    b.bb.setPosition((b.space -= constantB.byteLength));
    b.bb.bytes().set(new Uint8Array(constantB.buffer, constantB.byteOffset, constantB.byteLength), b.space);
    const dataAt = b.endVector();
    buffers.push(table([[0, "offset", dataAt]]));
  }
  const opcodesAt = tables([opcodeAt]), graphsAt = tables([graphAt]), buffersAt = tables(buffers);
  const descriptionAt = b.createString("torchpad product");
  // Model: version (0), operator_codes (1), subgraphs (2), description (3), buffers (4)
  const modelAt = table([[0, "int32", SCHEMA_VERSION], [1, "offset", opcodesAt], [2, "offset", graphsAt], [3, "offset", descriptionAt],
    [4, "offset", buffersAt]]);
  b.finish(modelAt, "TFL3");
  return b.asUint8Array().slice();
}
