/** A tiny argument parser: positionals, `--flag`, `--name value` and `--name=value`. */
export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

export function parseArgs(argv: string[], withValue: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) options.set(name, a.slice(eq + 1));
      else if (withValue.has(name)) {
        const v = argv[++i];
        if (v === undefined) throw new Error(`--${name} needs a value`);
        options.set(name, v);
      } else options.set(name, true);
    } else if (a === "-h") options.set("help", true);
    else positionals.push(a);
  }
  return { positionals, options };
}

/** Refuses options the command does not know, naming them. */
export function checkOptions(args: ParsedArgs, known: string[], command: string): void {
  for (const name of args.options.keys()) {
    if (!known.includes(name)) throw new Error(`nepi ${command}: unknown option --${name} (known: ${known.map((k) => `--${k}`).join(", ")})`);
  }
}
