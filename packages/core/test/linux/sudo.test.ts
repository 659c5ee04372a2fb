import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd } from "../../src/bench/sshd.js";
import { newController } from "../support/linux.js";

const ensure = fileURLToPath(new URL("../../../../scripts/ensure-system-packages.sh", import.meta.url));
const user = `nepisu${process.pid % 10000}`;
const password = `pw-${Math.random().toString(36).slice(2)}`;
const sudoers = `/etc/sudoers.d/${user}`;
/** A small Debian package the host does not have, installed by the test through `depends`. */
const PACKAGE = "sl";
const installed = (pkg: string) => {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" }).includes("install ok installed");
  } catch {
    return false;
  }
};

let server: Awaited<ReturnType<typeof startSshd>>;
let hadPackage = true;

beforeAll(async () => {
  execFileSync("bash", [ensure, "sudo"], { stdio: "inherit" });
  hadPackage = installed(PACKAGE);
  execFileSync("useradd", ["--create-home", "--shell", "/bin/sh", user]);
  execFileSync("chpasswd", [], { input: `${user}:${password}\n` });
  writeFileSync(sudoers, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  server = await startSshd({ passwordAuthentication: true });
}, 300_000);

afterAll(async () => {
  await server?.stop();
  rmSync(sudoers, { force: true });
  // --force: the sshd session of the last login may still be exiting (userdel would refuse, exit 8).
  execFileSync("userdel", ["--force", "--remove", user], { stdio: "ignore" });
  if (!hadPackage && installed(PACKAGE)) execFileSync("apt-get", ["remove", "-y", "-qq", PACKAGE], { stdio: "ignore" });
});

describe("sudo for an unprivileged user", () => {
  it("runs a command as root and installs a missing `depends` package with sudo", async () => {
    const ec = newController("sudo");
    try {
      const node = ec.registerResource("linux::Node", {
        hostname: server.host,
        port: server.port,
        username: user,
        password,
        knownHosts: server.knownHosts,
        strictHostKeyChecking: "yes",
      });
      const asRoot = ec.registerResource("linux::Application", { command: "id -u", sudo: true });
      const needs = ec.registerResource("linux::Application", {
        command: `dpkg-query -W -f='\${Status}' ${PACKAGE}; echo; id -un`,
        depends: PACKAGE,
        sudo: true,
      });
      for (const app of [asRoot, needs]) {
        ec.registerConnection(app, node);
        ec.registerTrace(app, "stdout");
      }
      ec.deploy();
      await ec.waitFinished([asRoot, needs], { timeout: "240s" });
      expect(await ec.trace(asRoot, "stdout")).toBe("0\n");
      // The package is there now, and the command itself ran with sudo.
      expect(await ec.trace(needs, "stdout")).toBe("install ok installed\nroot\n");
      expect(installed(PACKAGE)).toBe(true);
    } finally {
      await ec.shutdown();
    }
  }, 300_000);
});
