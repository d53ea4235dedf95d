import { open } from "node:fs/promises";

/** Called once per non-blank line with the line's bytes `buf[start, end)` (no "\n", no "\r"). */
export type LineHandler = (buf: Buffer, start: number, end: number, line: number) => void;

const CHUNK = 1 << 22;

/**
 * A read buffer that one reader reuses across its files (so reading 20 epoch files does not
 * leave 20 buffers for the garbage collector). Grows for lines longer than itself.
 */
export class ScanBuffer {
  bytes = Buffer.allocUnsafe(CHUNK);
}

/**
 * Streams a file in 4 MiB chunks and hands each line's byte range to `onLine` without
 * decoding it, so callers can parse bytes directly. Lines longer than the buffer grow it.
 * `onBytes` receives the count of bytes consumed since the previous call (for progress bars).
 */
export async function scanLines(file: string, onLine: LineHandler, onBytes?: (bytes: number) => void, scratch: ScanBuffer = new ScanBuffer()): Promise<void> {
  const handle = await open(file, "r");
  try {
    let buf = scratch.bytes;
    let filled = 0;
    let line = 0;
    for (;;) {
      if (filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
        scratch.bytes = bigger;
      }
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, null);
      const eof = bytesRead === 0;
      filled += bytesRead;
      let start = 0;
      for (;;) {
        let nl = buf.indexOf(10, start);
        if (nl === -1 || nl >= filled) {
          if (!eof || start === filled) break;
          nl = filled; // last line without a trailing newline
        }
        line++;
        let end = nl;
        if (end > start && buf[end - 1] === 13) end--;
        let from = start;
        // A UTF-8 byte-order mark (spreadsheet exports) is not part of the first line.
        if (line === 1 && end - from >= 3 && buf[from] === 0xef && buf[from + 1] === 0xbb && buf[from + 2] === 0xbf) from += 3;
        if (!isBlank(buf, from, end)) onLine(buf, from, end, line);
        start = Math.min(nl + 1, filled);
        if (nl === filled) break;
      }
      if (onBytes !== undefined && start > 0) onBytes(start);
      if (eof) return;
      buf.copy(buf, 0, start, filled);
      filled -= start;
    }
  } finally {
    await handle.close();
  }
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let p = start; p < end; p++) {
    const c = buf[p]!;
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}
