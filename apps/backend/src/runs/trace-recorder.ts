import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { finished } from "node:stream/promises";

interface Recording {
  guid: number;
  name: string;
  path: string;
  out: WriteStream;
  /** Bytes written so far: where the next chunk must start. */
  size: number;
  unfollow?: () => void;
}

export type FollowFn = (guid: number, name: string, offset: number, onChunk: (chunk: string, offset: number) => void) => () => void;

/**
 * Keeps a copy of every enabled trace of a run under `<runDir>/traces/`, written as the engine
 * produces it (followed live, never polled), so a run's traces outlive its controller and can
 * be read after release or after a restart.
 */
export class TraceRecorder {
  private readonly recordings = new Map<string, Recording>();
  private readonly dir: string;

  constructor(runDir: string, private readonly onRecorded: (guid: number, name: string, path: string, size: number) => void) {
    this.dir = join(runDir, "traces");
  }

  /** Starts recording a trace unless it already is; false when the engine cannot follow it yet. */
  follow(guid: number, name: string, follow: FollowFn): boolean {
    const key = `${guid}/${name}`;
    if (this.recordings.has(key)) return true;
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `${guid}-${encodeURIComponent(name)}`);
    const rec: Recording = { guid, name, path, out: createWriteStream(path), size: 0 };
    try {
      rec.unfollow = follow(guid, name, 0, (chunk, offset) => {
        // Only what extends the copy (a repeated or overlapping chunk is skipped).
        const bytes = Buffer.from(chunk, "utf8");
        const skip = rec.size - offset;
        if (skip >= bytes.length) return;
        const part = skip > 0 ? bytes.subarray(skip) : bytes;
        rec.out.write(part);
        rec.size += part.length;
      });
    } catch {
      rec.out.destroy();
      return false;
    }
    this.recordings.set(key, rec);
    this.onRecorded(guid, name, path, 0);
    return true;
  }

  /**
   * Stops following, flushes every file and records their sizes. `readAll` gives a trace's
   * whole content as the engine has it at the end (collected after release): a copy that
   * missed the last bytes (followed too late, or the run released right after the command
   * ended) is completed from it; `others` are traces that could never be followed.
   */
  async close(readAll?: (guid: number, name: string) => Promise<string>, others: Array<[number, string]> = []): Promise<void> {
    const all = [...this.recordings.values()];
    this.recordings.clear();
    await Promise.all(
      all.map(async (rec) => {
        rec.unfollow?.();
        rec.out.end();
        await finished(rec.out).catch(() => undefined);
      }),
    );
    if (readAll) {
      const missing = others.map(([guid, name]) => ({ guid, name, path: join(this.dir, `${guid}-${encodeURIComponent(name)}`), size: 0 }));
      await Promise.all(
        [...all, ...missing].map(async (rec) => {
          const content = Buffer.from(await readAll(rec.guid, rec.name).catch(() => ""), "utf8");
          if (content.length <= rec.size) return;
          mkdirSync(this.dir, { recursive: true });
          await writeFile(rec.path, content);
          rec.size = content.length;
          if (!all.includes(rec as Recording)) all.push(rec as Recording);
        }),
      );
    }
    for (const rec of all) this.onRecorded(rec.guid, rec.name, rec.path, rec.size);
  }
}
