import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { copyFile, stat, writeFile } from "node:fs/promises";
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

/** Where the engine keeps a trace once collected (a local path), and its text. */
export interface TraceSource {
  path(guid: number, name: string): Promise<string | undefined>;
  text(guid: number, name: string): Promise<string>;
}

export type FollowFn = (
  guid: number,
  name: string,
  offset: number,
  onChunk: (chunk: string, offset: number) => void,
) => () => void;

/**
 * Keeps a copy of every enabled trace of a run under `<runDir>/traces/`, written as the engine
 * produces it (followed live, never polled), so a run's traces outlive its controller and can
 * be read after release or after a restart.
 */
export class TraceRecorder {
  private readonly recordings = new Map<string, Recording>();
  /** Resources whose old copies are being closed (redeployed): not followed until they are. */
  private readonly restarting = new Map<number, Promise<void>>();
  private readonly dir: string;

  constructor(
    runDir: string,
    private readonly onRecorded: (guid: number, name: string, path: string, size: number) => void,
  ) {
    this.dir = join(runDir, "traces");
  }

  /** Starts recording a trace unless it already is; false when the engine cannot follow it yet. */
  follow(guid: number, name: string, follow: FollowFn): boolean {
    const key = `${guid}/${name}`;
    if (this.recordings.has(key)) return true;
    if (this.restarting.has(guid)) return false;
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
   * A redeployed resource's traces start again from nothing, as its files on the host do: its
   * copies are closed (the next ones overwrite them, as the final collection would). Resolves
   * once they are, when `follow` takes the resource again.
   */
  restart(guid: number): Promise<void> {
    const old = [...this.recordings.values()].filter((r) => r.guid === guid);
    for (const rec of old) {
      this.recordings.delete(`${rec.guid}/${rec.name}`);
      rec.unfollow?.();
      rec.out.end();
    }
    const done = Promise.all([this.restarting.get(guid), ...old.map((rec) => finished(rec.out).catch(() => undefined))]).then(
      () => {
        if (this.restarting.get(guid) === done) this.restarting.delete(guid);
      },
    );
    this.restarting.set(guid, done);
    return done;
  }

  /** Bytes copied so far of each trace being recorded. */
  sizes(): Map<string, number> {
    return new Map([...this.recordings.values()].map((r) => [`${r.guid}/${r.name}`, r.size]));
  }

  /**
   * Stops following, flushes every file and records their sizes. `source` gives the trace as
   * the engine has it at the end (after release): the local file it collected, copied byte for
   * byte, or else its text; it replaces a live copy that missed the end (the run released
   * right after the command ended) or was never made (`others`: never followed).
   */
  async close(source?: TraceSource, others: Array<[number, string]> = []): Promise<void> {
    await Promise.all(this.restarting.values());
    const all = [...this.recordings.values()];
    this.recordings.clear();
    await Promise.all(
      all.map(async (rec) => {
        rec.unfollow?.();
        rec.out.end();
        await finished(rec.out).catch(() => undefined);
      }),
    );
    if (source) {
      const missing = others.map(([guid, name]) => ({
        guid,
        name,
        path: join(this.dir, `${guid}-${encodeURIComponent(name)}`),
        size: 0,
      }));
      await Promise.all(
        [...all, ...missing].map(async (rec) => {
          mkdirSync(this.dir, { recursive: true });
          // The engine's collected file, byte for byte (binary traces such as pcap included).
          const collected = await source.path(rec.guid, rec.name).catch(() => undefined);
          const size = collected
            ? await stat(collected).then(
                (st) => (st.isFile() ? st.size : -1),
                () => -1,
              )
            : -1;
          if (size >= 0) {
            if (size === 0 && rec.size > 0) return;
            await copyFile(collected!, rec.path);
            rec.size = size;
          } else {
            const content = Buffer.from(await source.text(rec.guid, rec.name).catch(() => ""), "utf8");
            if (content.length <= rec.size) return;
            await writeFile(rec.path, content);
            rec.size = content.length;
          }
          if (!all.includes(rec as Recording)) all.push(rec as Recording);
        }),
      );
    }
    for (const rec of all) this.onRecorded(rec.guid, rec.name, rec.path, rec.size);
  }
}
