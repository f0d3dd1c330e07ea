/**
 * A minimal ONNX model writer: just enough of protobuf's wire format and of `onnx.proto` to write
 * small real models from TypeScript, with no Python and no protobuf library. It writes proto2
 * fields in field-number order with no maps and no unknown fields, so one description always gives
 * the same bytes (the models' hashes are their names). Field numbers are those of onnx.proto
 * (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto); the wire format is protobuf's
 * (https://protobuf.dev/programming-guides/encoding/): a key `(field << 3) | wire type`, then a
 * varint (type 0), 4 little-endian bytes (type 5) or a length-prefixed body (type 2).
 */

/** ONNX `TensorProto.DataType` codes of the element types this writer supports. */
export const ONNX_DATA_TYPES = { float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float64: 11, uint32: 12, uint64: 13 } as const;

/** An element type by name, e.g. `float32`. */
export type OnnxElementType = keyof typeof ONNX_DATA_TYPES;

/** A constant tensor (graph initializer). Float32 and int64 data only: all the shipped models need. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

/** A graph input or output: element type and shape; a string dimension is symbolic (`N`). */
export interface OnnxValueInfo {
  name: string;
  type: OnnxElementType;
  shape: Array<number | string>;
  doc?: string;
}

/** An attribute value, tagged by its `AttributeProto` kind. */
export type OnnxAttribute = { i: number } | { f: number } | { s: string } | { ints: number[] } | { floats: number[] };

/** One operator node. */
export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attributes?: Record<string, OnnxAttribute>;
}

/** A whole model: one graph in the default (`ai.onnx`) domain at one opset version. */
export interface OnnxModel {
  name: string;
  doc?: string;
  /** Version of the default operator set, e.g. 17. */
  opset: number;
  /** ONNX IR version (default 8, which onnxruntime ≥ 1.14 reads). */
  irVersion?: number;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  initializers?: OnnxTensor[];
  nodes: OnnxNode[];
  /** `metadata_props` entries, written in the order given. */
  metadata?: Array<[string, string]>;
}

// --- protobuf wire format ---------------------------------------------------------------------

const text = new TextEncoder();

function varint(value: number | bigint): number[] {
  // int64 fields are two's complement: a negative value takes all ten bytes.
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return out;
}

const key = (field: number, wireType: number) => varint((field << 3) | wireType);

/** A message body under construction: fields appended in order, kept as chunks until the end. */
class Fields {
  readonly parts: Uint8Array[] = [];
  length = 0;
  #push(bytes: Uint8Array | number[]): void {
    const chunk = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
    this.parts.push(chunk);
    this.length += chunk.length;
  }
  int(field: number, value: number | bigint): this {
    this.#push([...key(field, 0), ...varint(value)]);
    return this;
  }
  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.#push([...key(field, 5), ...b]);
    return this;
  }
  raw(field: number, body: Uint8Array | Fields): this {
    this.#push([...key(field, 2), ...varint(body.length)]);
    if (body instanceof Fields) for (const part of body.parts) this.#push(part);
    else this.#push(body);
    return this;
  }
  string(field: number, value: string): this {
    return this.raw(field, text.encode(value));
  }
  message(field: number, body: Fields): this {
    return this.raw(field, body);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

// --- onnx.proto messages ----------------------------------------------------------------------

function tensorProto(t: OnnxTensor): Fields {
  // TensorProto: dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian, as the spec says).
  const f = new Fields();
  for (const d of t.dims) f.int(1, d);
  const float = t.data instanceof Float32Array;
  f.int(2, float ? ONNX_DATA_TYPES.float32 : ONNX_DATA_TYPES.int64);
  f.string(8, t.name);
  const raw = new Uint8Array(t.data.length * (float ? 4 : 8));
  const view = new DataView(raw.buffer);
  for (let i = 0; i < t.data.length; i++) {
    if (float) view.setFloat32(i * 4, (t.data as Float32Array)[i]!, true);
    else view.setBigInt64(i * 8, (t.data as BigInt64Array)[i]!, true);
  }
  return f.raw(9, raw);
}

function valueInfoProto(v: OnnxValueInfo): Fields {
  // ValueInfoProto: name = 1, type = 2, doc_string = 3. TypeProto: tensor_type = 1.
  // TypeProto.Tensor: elem_type = 1, shape = 2. TensorShapeProto: dim = 1.
  // Dimension: dim_value = 1 | dim_param = 2.
  const shape = new Fields();
  for (const d of v.shape) shape.message(1, typeof d === "number" ? new Fields().int(1, d) : new Fields().string(2, d));
  const tensorType = new Fields().int(1, ONNX_DATA_TYPES[v.type]).message(2, shape);
  const f = new Fields().string(1, v.name).message(2, new Fields().message(1, tensorType));
  return v.doc ? f.string(3, v.doc) : f;
}

function attributeProto(name: string, a: OnnxAttribute): Fields {
  // AttributeProto: name = 1, f = 2, i = 3, s = 4, floats = 7, ints = 8, type = 20
  // (AttributeType FLOAT = 1, INT = 2, STRING = 3, FLOATS = 6, INTS = 7).
  const f = new Fields().string(1, name);
  if ("f" in a) return f.float(2, a.f).int(20, 1);
  if ("i" in a) return f.int(3, a.i).int(20, 2);
  if ("s" in a) return f.string(4, a.s).int(20, 3);
  if ("floats" in a) {
    for (const x of a.floats) f.float(7, x);
    return f.int(20, 6);
  }
  for (const x of a.ints) f.int(8, x);
  return f.int(20, 7);
}

function nodeProto(n: OnnxNode): Fields {
  // NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5.
  const f = new Fields();
  for (const i of n.inputs) f.string(1, i);
  for (const o of n.outputs) f.string(2, o);
  if (n.name) f.string(3, n.name);
  f.string(4, n.op);
  for (const [name, value] of Object.entries(n.attributes ?? {})) f.message(5, attributeProto(name, value));
  return f;
}

/**
 * The bytes of an ONNX `ModelProto` for `model`. ModelProto: ir_version = 1, producer_name = 2,
 * producer_version = 3, doc_string = 6, graph = 7, opset_import = 8 (OperatorSetIdProto: domain =
 * 1, version = 2), metadata_props = 14 (StringStringEntryProto: key = 1, value = 2). GraphProto:
 * node = 1, name = 2, initializer = 5, input = 11, output = 12. Deterministic: the same
 * description always gives the same bytes.
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const graph = new Fields();
  for (const n of model.nodes) graph.message(1, nodeProto(n));
  graph.string(2, model.name);
  for (const t of model.initializers ?? []) graph.message(5, tensorProto(t));
  for (const v of model.inputs) graph.message(11, valueInfoProto(v));
  for (const v of model.outputs) graph.message(12, valueInfoProto(v));
  const m = new Fields().int(1, model.irVersion ?? 8).string(2, "p2p-agent").string(3, "1");
  if (model.doc) m.string(6, model.doc);
  m.message(7, graph).message(8, new Fields().string(1, "").int(2, model.opset));
  for (const [k, v] of model.metadata ?? []) m.message(14, new Fields().string(1, k).string(2, v));
  return m.concat();
}
