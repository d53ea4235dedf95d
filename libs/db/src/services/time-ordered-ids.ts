import { randomBytes } from "node:crypto";

let lastMs = 0;
let sequence = 0;

/**
 * `count` UUIDv7 ids (RFC 9562) in strictly increasing order, also across calls in this
 * process: 48-bit Unix milliseconds, then a 12-bit sequence in `rand_a` (method 1 of §6.2),
 * then 62 random bits. Bulk inserts use them so that rows sort by id in the order they were
 * created, like the rows Prisma creates with `uuid(7)`, and an id is enough as a cursor.
 */
export function timeOrderedIds(count: number): string[] {
  const ids = new Array<string>(count);
  const random = randomBytes(8 * count);
  for (let i = 0; i < count; i++) {
    let ms = Date.now();
    if (ms <= lastMs) {
      ms = lastMs;
      sequence++;
      if (sequence > 0xfff) {
        // 4096 ids in one millisecond: borrow the next millisecond (still monotonic).
        ms = ++lastMs;
        sequence = 0;
      }
    } else {
      sequence = 0;
    }
    lastMs = ms;
    const hex = ms.toString(16).padStart(12, "0") + "7" + sequence.toString(16).padStart(3, "0");
    const tail = random.subarray(8 * i, 8 * i + 8);
    tail[0] = (tail[0]! & 0x3f) | 0x80; // variant 10
    const tailHex = tail.toString("hex");
    ids[i] = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${tailHex.slice(0, 4)}-${tailHex.slice(4)}`;
  }
  return ids;
}
