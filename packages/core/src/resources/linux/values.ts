/**
 * Reading attribute values for building command lines. No attribute can become an option: free
 * values come after `--` (targets, tcpdump's filter) or as the argument of the option that takes
 * them (`-i`, `-c`, `-b`: getopt takes the next word whatever it starts with); numbers are checked
 * by the catalog.
 */

export function num(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

export function required(v: unknown, name: string): string {
  const s = str(v);
  if (!s) throw new Error(`attribute "${name}" is required`);
  return s;
}
