/**
 * The patterns a trace-match condition waits for: a JavaScript regular expression written
 * without slashes or flags (`listening on`, `^ready$`), matched against each line of a trace.
 */

/** Why `source` is not a pattern, or undefined when it is one. */
export function patternProblem(source: string): string | undefined {
  if (source === "") return "expected a regular expression (it matches every line when empty)";
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return `not a regular expression: ${(err as Error).message}`;
  }
}

/** How a pattern reads in labels and messages: `/listening on/`. */
export function showPattern(source: string): string {
  return `/${source}/`;
}
