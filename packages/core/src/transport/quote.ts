/**
 * Quoting for POSIX sh. Attribute values are data, never shell code: every value that reaches a
 * script goes through `shq`, which makes it one literal word whatever it contains.
 */
export function shq(value: string | number): string {
  const s = String(value);
  if (s.includes("\0")) throw new Error(`a NUL byte cannot be passed to a shell: ${JSON.stringify(s.slice(0, 40))}`);
  return "'" + s.replace(/'/g, `'\\''`) + "'";
}

/** Several words, each quoted. */
export function shqAll(values: ReadonlyArray<string | number>): string {
  return values.map(shq).join(" ");
}
