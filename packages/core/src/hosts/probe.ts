import { HOST_COMMANDS } from "../resources/linux/node.js";
import { shq } from "../transport/quote.js";

/** What one round trip to a host tells of it (`probeScript`'s output, parsed). */
export interface Probe {
  os: string;
  uid: string;
  user: string;
  home: string;
  /** Of HOST_COMMANDS, those the host lacks. */
  missingCommands: string[];
  /** Only when asked: root, works without a password, not installed, or sudo's refusal. */
  sudo?: { kind: "root" | "ok" | "absent" } | { kind: "refused"; message: string };
  /** Whether dpkg and apt are there to tell. */
  apt: boolean;
  packages: Map<string, "installed" | "available" | "unknown">;
  /** Free space where runs are kept (`~/.nepi`, or `~` before the first run). */
  disk?: { dir: string; freeKiB: number; writable: boolean };
}

/**
 * One script that looks at everything the check needs, without changing anything on the host:
 * one `key value…` line per finding.
 */
export function probeScript(packages: readonly string[], sudo: boolean): string {
  return [
    'printf "os %s\\nuid %s\\nuser %s\\nhome %s\\n" "$(uname -s)" "$(id -u)" "$(id -un)" "$HOME"',
    `for c in ${HOST_COMMANDS.join(" ")}; do command -v "$c" >/dev/null 2>&1 || echo "nocmd $c"; done`,
    ...(sudo
      ? [
          'if [ "$(id -u)" = 0 ]; then echo "sudo root"',
          'elif ! command -v sudo >/dev/null 2>&1; then echo "sudo absent"',
          'elif sudo -n true >/dev/null 2>&1; then echo "sudo ok"',
          'else echo "sudo refused $(sudo -n true 2>&1 | head -n 1)"; fi',
        ]
      : []),
    'if command -v dpkg-query >/dev/null 2>&1 && command -v apt-cache >/dev/null 2>&1; then echo "apt yes"; else echo "apt no"; fi',
    ...(packages.length
      ? [
          `for p in ${packages.map(shq).join(" ")}; do`,
          `  if dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then echo "pkg installed $p"`,
          '  elif apt-cache show "$p" >/dev/null 2>&1; then echo "pkg available $p"',
          '  else echo "pkg unknown $p"; fi',
          "done",
        ]
      : []),
    'd="$HOME/.nepi"; [ -d "$d" ] || d="$HOME"',
    'if [ -w "$d" ]; then w=yes; else w=no; fi',
    `df -Pk "$d" 2>/dev/null | awk -v d="$d" -v w="$w" 'NR == 2 { print "disk", $4, w, d }'`,
    "true",
  ].join("\n");
}

/** Reads `probeScript`'s output. */
export function parseProbe(stdout: string): Probe {
  const probe: Probe = { os: "", uid: "", user: "", home: "", missingCommands: [], apt: false, packages: new Map() };
  for (const line of stdout.split("\n")) {
    const space = line.indexOf(" ");
    const key = space < 0 ? line : line.slice(0, space);
    const rest = space < 0 ? "" : line.slice(space + 1);
    switch (key) {
      case "os":
      case "uid":
      case "user":
      case "home":
        probe[key] = rest;
        break;
      case "nocmd":
        probe.missingCommands.push(rest);
        break;
      case "sudo":
        if (rest === "root" || rest === "ok" || rest === "absent") probe.sudo = { kind: rest };
        else probe.sudo = { kind: "refused", message: rest.replace(/^refused ?/, "") };
        break;
      case "apt":
        probe.apt = rest === "yes";
        break;
      case "pkg": {
        const [state, name] = rest.split(" ");
        if (name && (state === "installed" || state === "available" || state === "unknown")) probe.packages.set(name, state);
        break;
      }
      case "disk": {
        const m = /^(\d+) (yes|no) (.*)$/.exec(rest);
        if (m) probe.disk = { freeKiB: Number(m[1]), writable: m[2] === "yes", dir: m[3]! };
        break;
      }
    }
  }
  return probe;
}
