import type { HostCheck } from "../model/host-check.js";
import type { HostNeeds } from "./needs.js";
import type { Probe } from "./probe.js";

const MiB = 1024;

function sudoersLine(user: string): string {
  return `add "${user} ALL=(ALL) NOPASSWD: ALL" to /etc/sudoers.d/${user} (with visudo -f)`;
}

function guids(list: readonly number[]): string {
  return list.map((g) => `guid ${g}`).join(", ");
}

/** What a host's probe means for the design: the shell, sudo, package and disk checks. */
export function judgeProbe(probe: Probe, needs: HostNeeds, minFreeMiB: number): HostCheck[] {
  const checks: HostCheck[] = [];
  const user = probe.user || "this user";
  if (probe.os !== "Linux") {
    checks.push({ name: "shell", status: "problem", reason: `the host runs ${probe.os || "an unknown OS"}, not Linux` });
    return checks;
  }
  if (probe.missingCommands.length) {
    checks.push({
      name: "shell",
      status: "problem",
      reason: `the shell works but lacks ${probe.missingCommands.join(", ")}`,
      fix: `install ${probe.missingCommands.join(", ")} (Debian: apt-get install util-linux coreutils sed)`,
    });
  } else {
    checks.push({ name: "shell", status: "ok", reason: `a working shell as ${user}` });
  }

  const root = probe.uid === "0";
  const sudoWorks = root || probe.sudo?.kind === "ok";
  if (needs.sudo.length) {
    const who = `${guids(needs.sudo)} ${needs.sudo.length === 1 ? "runs" : "run"} with sudo`;
    const s = probe.sudo;
    if (root) checks.push({ name: "sudo", status: "ok", reason: `${who}: the login is root, no sudo needed` });
    else if (s?.kind === "ok")
      checks.push({ name: "sudo", status: "ok", reason: `${who}: sudo works without a password for ${user}` });
    else if (s?.kind === "absent")
      checks.push({
        name: "sudo",
        status: "problem",
        reason: `${who}, but sudo is not installed`,
        fix: `apt-get install sudo, then ${sudoersLine(user)}`,
      });
    else {
      const said = s?.kind === "refused" && s.message ? ` (${s.message})` : "";
      checks.push({
        name: "sudo",
        status: "problem",
        reason: `${who}, but sudo asks ${user} for a password${said}`,
        fix: sudoersLine(user),
      });
    }
  }

  for (const u of needs.unreadable)
    checks.push({
      name: "packages",
      status: "problem",
      reason: `guid ${u.guid}: ${u.message}`,
      fix: "write Debian package names separated by spaces",
    });
  const installed: string[] = [];
  for (const p of needs.packages) {
    const state = probe.packages.get(p.name);
    const install = `apt-get install ${p.name}`;
    if (state === "installed") installed.push(p.name);
    else if (!probe.apt) {
      checks.push({
        name: "packages",
        status: "problem",
        reason: `cannot tell whether ${p.name} is there: the host has no dpkg/apt`,
        fix: `install ${p.name} on the host`,
      });
    } else if (state === "unknown") {
      checks.push({
        name: "packages",
        status: "problem",
        reason: `${p.name} (needed by ${guids(p.guids)}) is not installed and apt knows no package of that name`,
        fix: `check the package name, or run apt-get update on the host`,
      });
    } else if (root || (p.sudo && sudoWorks)) {
      checks.push({
        name: "packages",
        status: "warning",
        reason: `${p.name} is not installed: the deploy will install it`,
        fix: `${install} now, to save deploy time`,
      });
    } else {
      checks.push({
        name: "packages",
        status: "problem",
        reason: `${p.name} (needed by ${guids(p.guids)}) is not installed, and ${user} cannot install it (not root, and ${p.sudo ? "sudo asks for a password" : "no resource that needs it runs with sudo"})`,
        fix: `${install} on the host${p.sudo ? "" : `, or set sudo on ${guids(p.guids)}`}`,
      });
    }
  }
  if (installed.length) checks.push({ name: "packages", status: "ok", reason: `installed: ${installed.join(", ")}` });

  const d = probe.disk;
  if (!d)
    checks.push({ name: "disk", status: "problem", reason: `cannot tell the free space in ${probe.home}/.nepi (df failed)` });
  else if (!d.writable)
    checks.push({
      name: "disk",
      status: "problem",
      reason: `${d.dir} is not writable by ${user}`,
      fix: `chown ${user} ${d.dir}`,
    });
  else {
    const free = d.freeKiB / MiB;
    const text = free >= 1024 ? `${(free / 1024).toFixed(1)} GiB` : `${Math.floor(free)} MiB`;
    if (free < minFreeMiB)
      checks.push({
        name: "disk",
        status: "problem",
        reason: `only ${text} free in ${d.dir} (at least ${minFreeMiB} MiB wanted)`,
        fix: `free some space on the file system of ${d.dir}`,
      });
    else checks.push({ name: "disk", status: "ok", reason: `${text} free in ${d.dir}` });
  }
  return checks;
}
