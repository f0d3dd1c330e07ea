// The ONNX writer and the shipped models, without onnxruntime: byte-for-byte determinism (the
// hashes are pinned: a change to a model is a new model, and docs/models.md must say so), the
// PRNG against its published value, and the protobuf structure read back by a tiny independent
// decoder. Runs under Node and Deno. onnxruntime itself loads and runs them in ../models.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_MODELS, embeddingTable, mulberry32, TEXT_EMBED_DIM, TEXT_EMBED_VOCAB } from "../../../src/inference/builtin-models.ts";
import { modelHash } from "../../../src/inference/model-store.ts";
import { encodeOnnxModel, type OnnxModel } from "../../../src/inference/onnx-writer.ts";

/** The pinned hashes, as docs/models.md lists them. */
export const PINNED = {
  "sensor-anomaly": "169e1fb2afc7c4a78d0da81c52475ac6891db3868ae6ced0018801aa00da17f6",
  "text-embed": "9af923e85afd72aed0cf7b279d406756b56771a761464636828f55dfcd5cb704",
};

type Field = { field: number; wire: number; value: bigint | Uint8Array };

/** Reads one protobuf message body into its fields (varint, fixed32 and length-delimited only). */
function decode(bytes: Uint8Array): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = () => {
    let v = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const b = bytes[at++]!;
      v |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return v;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: varint() });
    else if (wire === 5) out.push({ field, wire, value: bytes.slice(at, (at += 4)) });
    else if (wire === 2) {
      const length = Number(varint());
      out.push({ field, wire, value: bytes.slice(at, (at += length)) });
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  assert.equal(at, bytes.length, "message ends exactly at its last field");
  return out;
}
const text = (f: Field | undefined) => new TextDecoder().decode(f!.value as Uint8Array);
const sub = (f: Field | undefined) => decode(f!.value as Uint8Array);
const all = (fields: Field[], n: number) => fields.filter((f) => f.field === n);
const one = (fields: Field[], n: number) => fields.find((f) => f.field === n);

test("the shipped models are byte-for-byte deterministic and keep their pinned sha256", async () => {
  for (const [name, model] of Object.entries(BUILTIN_MODELS)) {
    const a = model.make();
    assert.deepEqual(a, model.make(), `${name}: two runs give the same bytes`);
    assert.equal(await modelHash(a), PINNED[name as keyof typeof PINNED], `${name}: a changed model must get a new pinned hash and a docs/models.md entry`);
  }
});

test("mulberry32 gives its published first value; the embedding table has a zero padding row", () => {
  assert.equal(mulberry32(1)(), 0.6270739405881613);
  const table = embeddingTable();
  assert.equal(table.length, TEXT_EMBED_VOCAB * TEXT_EMBED_DIM);
  assert.ok(table.subarray(0, TEXT_EMBED_DIM).every((v) => v === 0), "row 0 is padding");
  assert.ok(table.subarray(TEXT_EMBED_DIM).every((v) => v >= -1 && v < 1 && v !== 0));
});

test("sensor-anomaly decodes to the ModelProto/GraphProto/NodeProto fields onnx.proto defines", () => {
  const model = decode(BUILTIN_MODELS["sensor-anomaly"]!.make());
  assert.equal(one(model, 1)!.value, 8n, "ir_version = 1");
  assert.equal(text(one(model, 2)), "p2p-agent", "producer_name = 2");
  const opset = sub(one(model, 8));
  assert.equal(one(opset, 2)!.value, 17n, "opset_import.version = 2");
  const meta = sub(one(model, 14));
  assert.deepEqual([text(one(meta, 1)), text(one(meta, 2))], ["p2p-agent.model", "sensor-anomaly"]);
  const graph = sub(one(model, 7));
  assert.equal(text(one(graph, 2)), "sensor-anomaly", "graph.name = 2");
  const ops = all(graph, 1).map((n) => text(one(sub(n), 4)));
  assert.deepEqual(ops, ["ReduceMean", "Sub", "Mul", "ReduceMean", "Add", "Sqrt", "Div", "Abs", "ReduceMax"]);
  const first = sub(all(graph, 1)[0]);
  assert.deepEqual([text(one(first, 1)), text(one(first, 2))], ["window", "mean"], "node input = 1, output = 2");
  const axes = sub(all(first, 5)[0]);
  assert.deepEqual([text(one(axes, 1)), one(axes, 8)!.value, one(axes, 20)!.value], ["axes", 1n, 7n], "attribute name, ints, type INTS");
  const input = sub(one(graph, 11));
  assert.equal(text(one(input, 1)), "window");
  const tensorType = sub(one(sub(one(input, 2)), 1));
  assert.equal(one(tensorType, 1)!.value, 1n, "elem_type FLOAT");
  const dims = all(sub(one(tensorType, 2)), 1).map((d) => text(one(sub(d), 2)));
  assert.deepEqual(dims, ["N", "W"], "symbolic dims as dim_param = 2");
  const epsilon = sub(one(graph, 5));
  assert.equal(one(epsilon, 2)!.value, 1n, "initializer data_type FLOAT");
  assert.equal((one(epsilon, 9)!.value as Uint8Array).length, 4, "raw_data holds one float32");
});

test("negative int attributes take ten varint bytes (two's complement int64); floats are fixed32", () => {
  const model: OnnxModel = {
    name: "t",
    opset: 17,
    inputs: [{ name: "x", type: "float32", shape: [2] }],
    outputs: [{ name: "y", type: "float32", shape: [2] }],
    nodes: [{ op: "LeakyRelu", inputs: ["x"], outputs: ["y"], attributes: { alpha: { f: 0.5 }, axis: { i: -1 } } }],
  };
  const graph = sub(one(decode(encodeOnnxModel(model)), 7));
  const attrs = all(sub(all(graph, 1)[0]), 5).map(sub);
  const alpha = one(attrs[0]!, 2)!;
  assert.equal(alpha.wire, 5);
  assert.equal(new DataView((alpha.value as Uint8Array).buffer).getFloat32(0, true), 0.5);
  assert.equal(BigInt.asIntN(64, one(attrs[1]!, 3)!.value as bigint), -1n);
});
