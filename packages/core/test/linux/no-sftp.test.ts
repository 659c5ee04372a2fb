import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SshTransport, type ExperimentController } from "../../src/node.js";
import { startSshd, type PrivateSshd } from "../../src/bench/sshd.js";
import { newController } from "../support/linux.js";

let sshd: PrivateSshd;
let ec: ExperimentController | undefined;
const transports: SshTransport[] = [];

beforeAll(async () => {
  sshd = await startSshd({ sftp: false });
});
afterEach(async () => {
  await ec?.shutdown();
  ec = undefined;
  for (const t of transports.splice(0)) await t.close();
});
afterAll(async () => {
  await sshd.stop();
});

function node(): Record<string, string | number> {
  return {
    hostname: sshd.host,
    port: sshd.port,
    username: userInfo().username,
    identity: sshd.identity,
    knownHosts: sshd.knownHosts,
    strictHostKeyChecking: "yes",
  };
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** sshd's refusals of the SFTP subsystem so far. */
function sftpRefusals(): number {
  return sshd.log().match(/subsystem request for sftp .*failed/g)?.length ?? 0;
}

describe("a host whose sshd has no SFTP subsystem", () => {
  it("moves files over the shell with the same results: binary-safe both ways, ranges, sizes, modes", async () => {
    const t = new SshTransport({
      host: sshd.host,
      port: sshd.port,
      identity: sshd.identity,
      knownHosts: sshd.knownHosts,
      strictHostKeyChecking: "yes",
    });
    transports.push(t);
    const dir = (await t.exec("mktemp -d")).stdout.trim();
    // Every byte value, NULs and a lone CR, LF and invalid UTF-8 included.
    const blob = Buffer.concat([
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      randomBytes(300_000),
      Buffer.from("\r\n\0\xff", "latin1"),
    ]);
    const f = `${dir}/blob.bin`;
    await t.writeFile(f, blob, 0o640);
    expect(t.hasSftp).toBe(false);
    expect((await t.exec(`stat -c %a ${f}`)).stdout.trim()).toBe("640");
    expect(await t.size(f)).toBe(blob.length);
    expect(await t.size(`${dir}/missing`)).toBe(-1);
    expect((await t.readFile(f)).equals(blob)).toBe(true);
    expect((await t.readRange(f, 250, 10)).equals(blob.subarray(250, 260))).toBe(true);
    expect((await t.readRange(f, blob.length - 3, 100)).equals(blob.subarray(blob.length - 3))).toBe(true);
    await expect(t.readFile(`${dir}/missing`)).rejects.toThrow(/missing: reading on .* failed: .*No such file/);
    await expect(t.readRange(`${dir}/missing`, 0, 10)).rejects.toThrow(/missing: reading on .* failed/);
    // Past 1 MiB a file goes by `cat` on a channel of its own instead of base64 in the shells.
    const big = randomBytes(1_500_000);
    await t.writeFile(`${dir}/big.bin`, big);
    expect((await t.readFile(`${dir}/big.bin`)).equals(big)).toBe(true);
    expect((await t.readRange(`${dir}/big.bin`, 1_000_000, 1_200_000)).equals(big.subarray(1_000_000))).toBe(true);

    const local = mkdtempSync(join(tmpdir(), "nepi-nosftp-"));
    await mkdir(join(local, "tree", "sub"), { recursive: true });
    await writeFile(join(local, "tree", "sub", "data.bin"), blob);
    await writeFile(join(local, "tree", "big.bin"), big);
    await writeFile(join(local, "tree", "run.sh"), "#!/bin/sh\necho ran\n", { mode: 0o755 });
    await t.upload(join(local, "tree"), `${dir}/up`);
    expect((await t.exec(`${dir}/up/run.sh; sha256sum < ${dir}/up/sub/data.bin`)).stdout).toBe(`ran\n${sha256(blob)}  -\n`);
    await t.download(`${dir}/up/sub/data.bin`, join(local, "back.bin"));
    expect((await readFile(join(local, "back.bin"))).equals(blob)).toBe(true);
    await t.download(`${dir}/up/big.bin`, join(local, "big-back.bin"));
    expect((await readFile(join(local, "big-back.bin"))).equals(big)).toBe(true);
    await t.exec(`rm -rf ${dir}`);
    // Asked once, on the first file operation; never again.
    expect(sftpRefusals()).toBe(1);
  });

  it("collects every application's traces byte-identical (stdout and a binary file), asking for SFTP once", async () => {
    ec = newController("nosftp");
    const local = mkdtempSync(join(tmpdir(), "nepi-nosftp-app-"));
    const blob = randomBytes(200_000);
    writeFileSync(join(local, "input.bin"), blob);
    const before = sftpRefusals();
    const host = ec.registerResource("linux::Node", node());
    const apps = Array.from({ length: 20 }, (_, i) => {
      const app = ec!.registerResource(
        "linux::Application",
        { command: `echo "app ${i}"; cp input.bin copy.bin`, files: join(local, "input.bin") },
        { label: `app${i}` },
      );
      ec!.registerConnection(app, host);
      ec!.registerTrace(app, "stdout");
      ec!.registerTrace(app, "copy.bin");
      return app;
    });
    ec.deploy();
    await ec.waitFinished(apps, { timeout: "60s" });
    await ec.release();
    expect(ec.missingTraces()).toEqual([]);
    apps.forEach((app, i) => {
      const dir = join(ec!.rootDir, ec!.expId, ec!.runId, `${app}-app${i}`);
      expect(readFileSync(join(dir, "stdout"), "utf8")).toBe(`app ${i}\n`);
      expect(readFileSync(join(dir, "copy.bin")).equals(blob)).toBe(true);
      expect(statSync(join(dir, "copy.bin")).size).toBe(blob.length);
    });
    // One host, one question: never one failed SFTP attempt per trace.
    expect(sftpRefusals() - before).toBe(1);
  });
});
