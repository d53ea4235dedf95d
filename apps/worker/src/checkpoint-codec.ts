/**
 * Binary encoding of a training checkpoint: a JSON header in which every Float32Array is
 * replaced by {"$f32": [offset, length]} into a binary tail. JSON alone would turn 4-byte floats
 * into ~10-byte decimals and lose nothing but time and space; this keeps them exact and compact.
 */
const MAGIC = "GDC1";

export function encodeCheckpoint(value: unknown): Buffer {
  const arrays: Float32Array[] = [];
  let offset = 0;
  const header = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Float32Array) {
      arrays.push(v);
      const ref = { $f32: [offset, v.length] };
      offset += v.length;
      return ref;
    }
    if (typeof v === "number" && !Number.isFinite(v)) return { $num: String(v) };
    return v;
  });
  const headerBytes = Buffer.from(header, "utf8");
  const out = Buffer.alloc(4 + 4 + headerBytes.length + offset * 4 + 4);
  out.write(MAGIC, 0, "latin1");
  out.writeUInt32LE(headerBytes.length, 4);
  headerBytes.copy(out, 8);
  // Align the float tail to 4 bytes so it can be viewed without copying.
  const tailStart = align4(8 + headerBytes.length);
  let pos = tailStart;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, pos);
    pos += a.byteLength;
  }
  return out.subarray(0, pos);
}

export function decodeCheckpoint<T>(bytes: Uint8Array): T {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.toString("latin1", 0, 4) !== MAGIC) throw new Error("not a GenDataCarto checkpoint");
  const headerLength = buf.readUInt32LE(4);
  const header = buf.toString("utf8", 8, 8 + headerLength);
  const tailStart = align4(8 + headerLength);
  const tail = new Float32Array(buf.length - tailStart > 0 ? (buf.length - tailStart) / 4 : 0);
  new Uint8Array(tail.buffer).set(buf.subarray(tailStart));
  return JSON.parse(header, (_key, v: unknown) => {
    if (v && typeof v === "object" && "$f32" in v) {
      const [start, length] = (v as { $f32: [number, number] }).$f32;
      return tail.slice(start, start + length);
    }
    if (v && typeof v === "object" && "$num" in v) return Number((v as { $num: string }).$num);
    return v;
  }) as T;
}

const align4 = (n: number) => (n + 3) & ~3;
