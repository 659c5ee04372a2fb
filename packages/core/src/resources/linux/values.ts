/** Reading attribute values for building command lines. */

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
