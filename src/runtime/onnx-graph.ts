// Runs in the inference process and the CLI.
// What an .onnx file holds, read before onnxruntime sees it: the operators of its graph (domain and
// type, subgraphs included) and the external data files its initializers name, with the bytes each
// needs. A small protobuf walker over the file (positioned reads): initializer bytes are skipped, not
// read, so a multi-gigabyte model with embedded weights costs a few thousand small reads.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** One operator of the graph: `domain` is '' for the default ONNX domain (ai.onnx). */
export interface GraphOperator {
  domain: string;
  opType: string;
}

/** What scanOnnxGraph finds. */
export interface OnnxGraphScan {
  /** Distinct operators, in first-use order. */
  operators: GraphOperator[];
  /** External data files (as named in the model, relative to its folder) and the bytes each must hold (largest offset + length). */
  externalData: Map<string, number>;
}

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Protobuf bytes: a file (positioned reads) or a buffer. */
interface Source {
  readonly size: number;
  /** The varint at `pos` and the position after it. */
  varint(pos: number): [number, number];
  bytes(pos: number, len: number): Buffer;
}

function decodeVarint(buf: Buffer, from: number, to: number, pos: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let i = from; i < to; i++) {
    value += (buf[i] & 0x7f) * mul;
    mul *= 128;
    if ((buf[i] & 0x80) === 0) return [value, pos + i - from + 1];
  }
  throw new Error(`truncated varint at byte ${pos}`);
}

function fileSource(fd: number): Source {
  const scratch = Buffer.alloc(10);
  return {
    size: fstatSync(fd).size,
    varint(pos) {
      const n = readSync(fd, scratch, 0, 10, pos);
      return decodeVarint(scratch, 0, n, pos);
    },
    bytes(pos, len) {
      const out = Buffer.alloc(len);
      if (readSync(fd, out, 0, len, pos) !== len) throw new Error(`truncated field at byte ${pos}`);
      return out;
    },
  };
}

function bufferSource(buf: Buffer): Source {
  return {
    size: buf.length,
    varint: (pos) => decodeVarint(buf, pos, buf.length, pos),
    bytes: (pos, len) => buf.subarray(pos, pos + len),
  };
}

/** A field: its number and, for LEN fields, where its bytes lie; for VARINT, its value. */
interface Field {
  no: number;
  start: number;
  end: number;
  value: number;
}

/** The fields of a message between start and end. */
function* fields(src: Source, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, p1] = src.varint(pos);
    const no = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === VARINT) {
      const [value, p2] = src.varint(p1);
      yield { no, start: p1, end: p2, value };
      pos = p2;
    } else if (wire === LEN) {
      const [len, p2] = src.varint(p1);
      if (p2 + len > end) throw new Error(`field ${no} at byte ${pos} runs past its message`);
      yield { no, start: p2, end: p2 + len, value: len };
      pos = p2 + len;
    } else if (wire === I64) pos = p1 + 8;
    else if (wire === I32) pos = p1 + 4;
    else throw new Error(`unsupported wire type ${wire} at byte ${pos}`);
  }
}

// ModelProto.graph = 7, .functions = 25; GraphProto.node = 1, .initializer = 5; NodeProto.op_type = 4,
// .domain = 7, .attribute = 5; AttributeProto.g = 6, .graphs = 11; FunctionProto.node = 7;
// TensorProto.external_data = 13 (StringStringEntryProto key = 1, value = 2).
function scanGraph(src: Source, start: number, end: number, out: OnnxGraphScan, seen: Set<string>): void {
  for (const f of fields(src, start, end)) {
    if (f.no === 1) scanNode(bufferSource(src.bytes(f.start, f.end - f.start)), out, seen);
    else if (f.no === 5) scanInitializer(src, f.start, f.end, out);
  }
}

function scanNode(node: Source, out: OnnxGraphScan, seen: Set<string>): void {
  let opType = '';
  let domain = '';
  for (const f of fields(node, 0, node.size)) {
    if (f.no === 4) opType = node.bytes(f.start, f.end - f.start).toString('utf8');
    else if (f.no === 7) domain = node.bytes(f.start, f.end - f.start).toString('utf8');
    else if (f.no === 5) {
      for (const a of fields(node, f.start, f.end))
        if (a.no === 6 || a.no === 11) scanGraph(node, a.start, a.end, out, seen);
    }
  }
  const d = domain === 'ai.onnx' ? '' : domain;
  const key = `${d}:${opType}`;
  if (!seen.has(key)) {
    seen.add(key);
    out.operators.push({ domain: d, opType });
  }
}

function scanInitializer(src: Source, start: number, end: number, out: OnnxGraphScan): void {
  let location: string | undefined;
  let offset = 0;
  let length = 0;
  for (const f of fields(src, start, end)) {
    if (f.no !== 13) continue;
    let key = '';
    let value = '';
    for (const e of fields(src, f.start, f.end)) {
      const text = src.bytes(e.start, e.end - e.start).toString('utf8');
      if (e.no === 1) key = text;
      else if (e.no === 2) value = text;
    }
    if (key === 'location') location = value;
    else if (key === 'offset') offset = Number(value);
    else if (key === 'length') length = Number(value);
  }
  if (location === undefined) return;
  out.externalData.set(location, Math.max(out.externalData.get(location) ?? 0, offset + length));
}

/** Scan an .onnx file's operators and external data references; throws on a file that is not a readable ONNX protobuf. */
export function scanOnnxGraph(file: string): OnnxGraphScan {
  const fd = openSync(file, 'r');
  try {
    const src = fileSource(fd);
    const out: OnnxGraphScan = { operators: [], externalData: new Map() };
    const seen = new Set<string>();
    for (const f of fields(src, 0, src.size)) {
      if (f.no === 7) scanGraph(src, f.start, f.end, out, seen);
      else if (f.no === 25) {
        for (const g of fields(src, f.start, f.end))
          if (g.no === 7) scanNode(bufferSource(src.bytes(g.start, g.end - g.start)), out, seen);
      }
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
