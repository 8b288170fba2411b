// A tiny protobuf (proto3) wire codec driven by plain schema objects.
// Why not protobufjs or a .proto file: this runs in the composer while the crashed process is held,
// so we avoid parsing .proto text or loading a reflection library; the CRI messages we touch are few
// and only use strings, bools, varints, nested messages, repeated fields and string maps.
// Unknown fields are skipped, so newer runtimes with more fields decode fine.

/** How one field is encoded. int64/uint64 decode to decimal strings (nanosecond times exceed 2^53). */
export type Kind = 'string' | 'strings' | 'bool' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'map';
export type FieldSpec =
  | readonly [number, Kind]
  | readonly [number, 'msg' | 'msgs', Schema]
  | readonly [number, 'enum', readonly string[]];
/** field name -> [field number, kind, sub-schema or enum names] */
export interface Schema { readonly [name: string]: FieldSpec }

export type Decoded = Record<string, unknown>;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

// ---- encoding ----

function varint(out: number[], v: bigint): void {
  let x = BigInt.asUintN(64, v); // negative int32/int64 are sent as 10-byte two's complement
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
}

function tag(out: number[], n: number, wire: number): void {
  varint(out, BigInt((n << 3) | wire));
}

function lenDelimited(out: number[], n: number, bytes: Uint8Array): void {
  tag(out, n, WIRE_LEN);
  varint(out, BigInt(bytes.length));
  for (const b of bytes) out.push(b);
}

function encodeInto(out: number[], schema: Schema, obj: Decoded): void {
  for (const [name, spec] of Object.entries(schema)) {
    const v = obj[name];
    if (v === undefined || v === null) continue;
    const [n, kind] = spec;
    switch (kind) {
      case 'string':
        if (v !== '') lenDelimited(out, n, Buffer.from(String(v), 'utf8'));
        break;
      case 'strings':
        for (const s of v as string[]) lenDelimited(out, n, Buffer.from(s, 'utf8'));
        break;
      case 'bool':
        if (v) { tag(out, n, WIRE_VARINT); varint(out, 1n); }
        break;
      case 'int32': case 'uint32': case 'int64': case 'uint64':
        if (BigInt(v as number | string | bigint) !== 0n) { tag(out, n, WIRE_VARINT); varint(out, BigInt(v as number | string | bigint)); }
        break;
      case 'enum': {
        const names = spec[2] as readonly string[];
        const i = typeof v === 'number' ? v : names.indexOf(String(v));
        if (i < 0) throw new Error(`unknown enum value ${String(v)} for ${name}`);
        if (i !== 0) { tag(out, n, WIRE_VARINT); varint(out, BigInt(i)); }
        break;
      }
      case 'map':
        for (const [k, val] of Object.entries(v as Record<string, string>)) {
          lenDelimited(out, n, encode(MAP_ENTRY, { key: k, value: val }));
        }
        break;
      case 'msg':
        lenDelimited(out, n, encode(spec[2] as Schema, v as Decoded));
        break;
      case 'msgs':
        for (const m of v as Decoded[]) lenDelimited(out, n, encode(spec[2] as Schema, m));
        break;
    }
  }
}

export function encode(schema: Schema, obj: Decoded): Buffer {
  const out: number[] = [];
  encodeInto(out, schema, obj);
  return Buffer.from(out);
}

const MAP_ENTRY: Schema = { key: [1, 'string'], value: [2, 'string'] };

// ---- decoding ----

class Reader {
  pos: number;
  private readonly buf: Uint8Array;
  private readonly end: number;
  constructor(buf: Uint8Array, start: number, end: number) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new Error('protobuf: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
    }
    throw new Error('protobuf: varint too long');
  }
  skip(bytes: number): void {
    if (this.pos + bytes > this.end) throw new Error('protobuf: truncated field');
    this.pos += bytes;
  }
  bytes(): Uint8Array {
    const len = Number(this.varint());
    const start = this.pos;
    this.skip(len);
    return this.buf.subarray(start, start + len);
  }
}

const utf8 = new TextDecoder();

function scalar(kind: Kind | 'enum', raw: bigint, spec: FieldSpec): unknown {
  switch (kind) {
    case 'bool': return raw !== 0n;
    case 'int32': return Number(BigInt.asIntN(32, raw));
    case 'uint32': return Number(BigInt.asUintN(32, raw));
    case 'int64': return BigInt.asIntN(64, raw).toString();
    case 'uint64': return BigInt.asUintN(64, raw).toString();
    case 'enum': {
      const i = Number(BigInt.asIntN(32, raw));
      return (spec[2] as readonly string[])[i] ?? i; // unknown enum values stay numeric
    }
    default: return undefined;
  }
}

/** Field number -> [name, spec], built once per schema. */
const indexCache = new WeakMap<Schema, Map<number, readonly [string, FieldSpec]>>();
function indexOf(schema: Schema): Map<number, readonly [string, FieldSpec]> {
  let idx = indexCache.get(schema);
  if (!idx) {
    idx = new Map(Object.entries(schema).map(([name, spec]) => [spec[0], [name, spec] as const]));
    indexCache.set(schema, idx);
  }
  return idx;
}

export function decode(schema: Schema, buf: Uint8Array): Decoded {
  const out: Decoded = {};
  const idx = indexOf(schema);
  const r = new Reader(buf, 0, buf.length);
  while (!r.done) {
    const key = Number(r.varint());
    const n = key >>> 3;
    const wire = key & 7;
    const hit = idx.get(n);
    if (!hit) {
      if (wire === WIRE_VARINT) r.varint();
      else if (wire === WIRE_I64) r.skip(8);
      else if (wire === WIRE_LEN) r.bytes();
      else if (wire === WIRE_I32) r.skip(4);
      else throw new Error(`protobuf: unsupported wire type ${wire}`);
      continue;
    }
    const [name, spec] = hit;
    const kind = spec[1];
    if (kind === 'string' || kind === 'strings' || kind === 'msg' || kind === 'msgs' || kind === 'map') {
      if (wire !== WIRE_LEN) throw new Error(`protobuf: field ${name} has wire type ${wire}`);
      const b = r.bytes();
      if (kind === 'string') out[name] = utf8.decode(b);
      else if (kind === 'strings') ((out[name] ??= []) as string[]).push(utf8.decode(b));
      else if (kind === 'msg') out[name] = decode(spec[2] as Schema, b);
      else if (kind === 'msgs') ((out[name] ??= []) as Decoded[]).push(decode(spec[2] as Schema, b));
      else {
        const e = decode(MAP_ENTRY, b);
        ((out[name] ??= {}) as Record<string, string>)[String(e.key ?? '')] = String(e.value ?? '');
      }
    } else if (wire === WIRE_VARINT) {
      out[name] = scalar(kind, r.varint(), spec);
    } else {
      throw new Error(`protobuf: field ${name} has wire type ${wire}`);
    }
  }
  return out;
}
