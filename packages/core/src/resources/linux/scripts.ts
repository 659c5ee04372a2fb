import type { AttributeValue, ResourceTypeInfo } from "../../model/catalog-schema.js";
import { shq } from "../../transport/quote.js";

/**
 * Shell snippets run on the hosts. Every value in them is quoted with `shq`: paths and attribute
 * values are data, never code. Only the user's `command`, `build` and `install` are shell code.
 */

/**
 * Sets ST to the start time of a process (field 22 of /proc/<pid>/stat, counted after the
 * `(comm)` field). Builtins only: a forked helper would let the shell reap a child that just
 * exited, and its /proc entry with it, before we read it.
 */
export const START_TIME_FN = `starttime() { ST=; read -r s < "/proc/$1/stat" 2>/dev/null || return 0; s=\${s##*) }; set -- $s; ST=\${20}; }`;

function killFn(sudo: boolean): string {
  return sudo ? 'k() { if [ "$(id -u)" = 0 ]; then kill "$@"; else sudo -n kill "$@"; fi; }' : 'k() { kill "$@"; }';
}

/**
 * Ends the process groups recorded in `<dir>/pid` — only where that pid still is the process we
 * started (same start time), so a reused pid is never hit: SIGTERM, then SIGKILL for what did
 * not end within `graceSeconds`. It returns once every process of each group is gone (procps'
 * pidwait waits on pidfds: no polling); it prints the pids it signalled.
 */
export function endGroupsScript(dirs: string[], graceSeconds: number, sudo = false): string {
  return [
    START_TIME_FN,
    killFn(sudo),
    "have_pidwait=$(command -v pidwait)",
    `for d in ${dirs.map(shq).join(" ")}; do`,
    `  [ -f "$d/pid" ] || continue`,
    `  read pid st < "$d/pid" || continue`,
    `  [ -n "$pid" ] && [ -n "$st" ] || continue`,
    `  starttime "$pid"; [ "$ST" = "$st" ] || continue`,
    `  echo "$pid"`,
    graceSeconds > 0 ? `  k -TERM "-$pid" 2>/dev/null` : `  k -KILL "-$pid" 2>/dev/null`,
    `  [ -n "$have_pidwait" ] || continue`,
    `  timeout ${Math.max(graceSeconds, 1)} pidwait -g "$pid" && continue`,
    `  k -KILL "-$pid" 2>/dev/null`,
    `  timeout 5 pidwait -g "$pid"`,
    `done`,
    `true`,
  ].join("\n");
}

/**
 * The environment entries that mark every process of a run (`NEPI_RUN=<runId>`) and of one of
 * its applications (`NEPI_APP=<runId>/<guid>`). Every descendant inherits them, whatever session
 * or process group it moves to (`setsid`, a double-forking daemon), so `endMarkedScript` finds it
 * in /proc/<pid>/environ.
 */
export function runMarker(runId: string): [string, string] {
  return ["NEPI_RUN", runId];
}
export function appMarker(runId: string, guid: number): [string, string] {
  return ["NEPI_APP", `${runId}/${guid}`];
}

/**
 * Ends every process whose environment carries one of `markers` (`[name, value]` of runMarker
 * or appMarker): SIGTERM, then SIGKILL for what did not end within `graceSeconds` (0: SIGKILL at
 * once). One grep reads every process's environment (no fork per process); pidwait waits on
 * pidfds for the marked processes' sessions (no polling). Prints the pids it signalled.
 */
export function endMarkedScript(markers: Array<[string, string]>, graceSeconds: number, sudo = false): string {
  const entries = markers.map(([k, v]) => `-e ${shq(`${k}=${v}`)}`).join(" ");
  return [
    killFn(sudo),
    sudo ? 'if [ "$(id -u)" = 0 ]; then S=; else S="sudo -n"; fi' : "S=",
    `marked() { $S grep -lzxF ${entries} /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | tr '\\n' ' '; }`,
    `sessions() { ps -o sid= -p "$(echo $1 | tr ' ' ,)" 2>/dev/null | tr -d ' ' | sort -u | paste -sd, -; }`,
    "have_pidwait=$(command -v pidwait)",
    "p=$(marked)",
    '[ -n "$p" ] || exit 0',
    'echo "$p"',
    ...(graceSeconds > 0
      ? [
          "k -TERM $p 2>/dev/null",
          `[ -n "$have_pidwait" ] && s=$(sessions "$p") && [ -n "$s" ] && timeout ${graceSeconds} pidwait -s "$s"`,
          "p=$(marked)",
          '[ -n "$p" ] || exit 0',
        ]
      : []),
    's=$(sessions "$p")',
    "k -KILL $p 2>/dev/null",
    '[ -n "$have_pidwait" ] && [ -n "$s" ] && timeout 5 pidwait -s "$s"',
    "true",
  ].join("\n");
}

export interface WrapperOptions {
  guid: number;
  appHome: string;
  eventsFile: string;
  /** `export NAME='value'` lines. */
  exports: string[];
  /** Environment entries given to the command and everything it starts, not to the wrapper. */
  markers: Array<[string, string]>;
  hasStdin: boolean;
}

/**
 * The first process of an application, in a session and process group of its own: it records
 * its own pid and start time (read by itself, so it cannot race its own exit), hands them to the
 * starter on fd 3, then becomes the command (exec keeps the pid and the start time).
 */
export function launchScript(sudo: boolean): string {
  const exec = sudo
    ? 'if [ "$(id -u)" = 0 ]; then exec sh ./cmd.sh 3>&-; else exec sudo -n -E sh ./cmd.sh 3>&-; fi'
    : "exec sh ./cmd.sh 3>&-";
  return [START_TIME_FN, 'starttime "$$"', 'echo "$$ $ST" > pid', 'echo "$$ $ST" >&3', exec, ""].join("\n");
}

/**
 * The detached wrapper of an application: starts launch.sh (then the command) in a session of
 * its own, waits for it, records the exit code and appends `<guid> <code>` to the run's events
 * file — which the host's event channel follows. Being in another session than the command, it
 * survives a stop of the command's group and always reports the exit.
 */
export function wrapperScript(o: WrapperOptions): string {
  return [
    "#!/bin/sh",
    `# NEPI Studio: application guid ${o.guid}`,
    `cd ${shq(o.appHome)} || exit 1`,
    ...o.exports,
    // The markers prefix the command only: the wrapper, which reports the exit, carries none.
    `${o.markers.map(([k, v]) => `${k}=${shq(v)} `).join("")}setsid sh ./launch.sh <${o.hasStdin ? "stdin" : "/dev/null"} >stdout 2>stderr &`,
    "pid=$!",
    "exec 3>&-",
    'wait "$pid"',
    "code=$?",
    'echo "$code" > exitcode',
    `echo "${o.guid} $code" >> ${shq(o.eventsFile)}`,
    "",
  ].join("\n");
}

/** The output files each attempt of an application writes afresh. */
export const ATTEMPT_OUTPUTS = ["stdout", "stderr"] as const;

/**
 * Starts the wrapper detached and prints `pid starttime` of the command. `keepAttempt`: the
 * output of that earlier attempt is kept apart first (`stdout` → `stdout.<n>`), so the new one
 * writes its own and the last attempt's stays `stdout`.
 */
export function startScript(appHome: string, keepAttempt?: number): string {
  const keep =
    keepAttempt === undefined
      ? ""
      : `for f in ${ATTEMPT_OUTPUTS.join(" ")}; do [ ! -f "$f" ] || mv -f "$f" "$f.${keepAttempt}"; done && `;
  return `cd ${shq(appHome)} && ${keep}rm -f exitcode pid && r=$(setsid sh ./wrapper.sh 3>&1 </dev/null >/dev/null 2>&1 &) && echo "$r"`;
}

/** Writes a file with a content given as data. */
export function writeFileScript(path: string, content: string, mode?: string): string {
  return `printf '%s' ${shq(content)} > ${shq(path)}${mode ? ` && chmod ${mode} ${shq(path)}` : ""}`;
}

const PACKAGE_RE = /^[a-z0-9][a-z0-9+.-]*$/;

/** Debian package names from `depends` (space- or comma-separated), each checked. */
export function parsePackages(text: string | undefined, attribute = "depends"): string[] {
  const names = (text ?? "").split(/[\s,]+/).filter(Boolean);
  for (const n of names) {
    if (!PACKAGE_RE.test(n)) throw new Error(`attribute "${attribute}": ${JSON.stringify(n)} is not a Debian package name`);
  }
  return names;
}

/**
 * The Debian packages a resource needs on its host: those its type's definition names, then its
 * `depends`. The deploy installs the missing ones; the host check looks for them first.
 */
export function neededPackages(info: ResourceTypeInfo, get: (name: string) => AttributeValue | undefined): string[] {
  const depends = get("depends");
  return [...new Set([...(info.packages ?? []), ...parsePackages(typeof depends === "string" ? depends : undefined)])];
}

/** Installs the packages that are missing (apt, one install at a time per host). */
export function installScript(packages: string[], sudo: boolean): string {
  const pk = packages.map(shq).join(" ");
  return [
    "missing=''",
    `for p in ${pk}; do dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done`,
    '[ -z "$missing" ] && exit 0',
    'if [ "$(id -u)" = 0 ]; then S=""; ' +
      (sudo
        ? 'else S="sudo -n"; fi'
        : 'else echo "packages missing:$missing (set sudo to install them, or install them on the host)" >&2; exit 1; fi'),
    "export DEBIAN_FRONTEND=noninteractive",
    // One install at a time from this user (a lock file of its own: another user's is not
    // writable); apt's own lock, waited for, orders installs across users.
    "(",
    "  flock 9",
    "  $S apt-get update -qq >/dev/null 2>&1",
    "  $S apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 $missing >/dev/null",
    ') 9>"${TMPDIR:-/tmp}/nepi-apt-$(id -u).lock"',
  ].join("\n");
}

/**
 * `env` attribute: `NAME=value` pairs separated by spaces; a value may be quoted with '…' or "…".
 * Values are data: they become `export NAME='value'` lines.
 */
export function parseEnv(text: string | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const s = text ?? "";
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i]!)) i++;
    if (i >= s.length) break;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=/.exec(s.slice(i));
    if (!m) throw new Error(`attribute "env": expected NAME=value at ${JSON.stringify(s.slice(i, i + 20))}`);
    i += m[0].length;
    let value = "";
    while (i < s.length && !/\s/.test(s[i]!)) {
      const c = s[i]!;
      if (c === "'" || c === '"') {
        const end = s.indexOf(c, i + 1);
        if (end < 0) throw new Error(`attribute "env": unclosed ${c} in the value of ${m[1]}`);
        value += s.slice(i + 1, end);
        i = end + 1;
      } else if (c === "\\" && i + 1 < s.length) {
        value += s[i + 1];
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    out.push([m[1]!, value]);
  }
  return out;
}
