import { open } from "node:fs/promises";
import type { TraceChunk } from "@nepi/core";

/** Bytes read per chunk from a kept trace file. */
const FILE_CHUNK = 64 * 1024;

/**
 * A kept trace file from byte `start` on, read a chunk at a time (never the whole file in
 * memory), as text chunks that never split a UTF-8 character. `beforeChunk` is awaited before
 * each read, so that a slow reader slows the reading down. Ends at the end of the file; a read
 * error is thrown (never an empty or short trace). Returns the offset it ended at.
 */
export async function* readTraceFile(
  path: string,
  start: number,
  beforeChunk: () => Promise<void>,
): AsyncGenerator<TraceChunk, number> {
  const file = await open(path, "r");
  try {
    const size = (await file.stat()).size;
    let offset = Math.min(start, size);
    let position = offset;
    let pending = Buffer.alloc(0);
    for (;;) {
      await beforeChunk();
      const { bytesRead, buffer } = await file.read(Buffer.alloc(FILE_CHUNK), 0, FILE_CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const bytes = pending.length ? Buffer.concat([pending, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      const end = completeUtf8Length(bytes);
      pending = Buffer.from(bytes.subarray(end));
      if (end > 0) {
        yield { offset, data: bytes.subarray(0, end).toString("utf8") };
        offset += end;
      }
    }
    // A file that ends inside a character: its last bytes as they are.
    if (pending.length) {
      yield { offset, data: pending.toString("utf8") };
      offset += pending.length;
    }
    return offset;
  } finally {
    await file.close();
  }
}

/** The length of `bytes` without a UTF-8 character its end cuts in two. */
export function completeUtf8Length(bytes: Buffer): number {
  // The last lead byte (not 10xxxxxx) within the last 4 bytes, and how long its character is.
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + length > bytes.length ? i : bytes.length;
  }
  return bytes.length;
}
