/** One probe answer of a hop. */
export interface TracerouteProbe {
  address: string;
  name?: string;
  rttMs: number;
}
export interface TracerouteHop {
  hop: number;
  probes: TracerouteProbe[];
  /** Probes that got no answer (`*`). */
  timeouts: number;
}
export interface TracerouteResult {
  target?: string;
  targetAddress?: string;
  maxHops?: number;
  hops: TracerouteHop[];
  /** True when the last hop answered from the target's address. */
  reached: boolean;
}

/** Parses `traceroute` output (numeric or with names) into hops. Browser-safe. */
export function parseTraceroute(text: string): TracerouteResult {
  const result: TracerouteResult = { hops: [], reached: false };
  for (const line of text.split("\n")) {
    const head = /^traceroute to (\S+) \(([^)]+)\), (\d+) hops max/.exec(line);
    if (head) {
      result.target = head[1];
      result.targetAddress = head[2];
      result.maxHops = Number(head[3]);
      continue;
    }
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const hop: TracerouteHop = { hop: Number(m[1]), probes: [], timeouts: 0 };
    // Tokens: `*`, an address (with an optional name before it), an RTT `x ms`, flags like `!H`.
    const tokens = m[2]!.trim().split(/\s+/);
    let address: string | undefined;
    let name: string | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      if (tok === "*") {
        hop.timeouts++;
      } else if (tokens[i + 1] === "ms" && /^[\d.]+$/.test(tok)) {
        if (address) hop.probes.push({ address, ...(name ? { name } : {}), rttMs: Number(tok) });
        i++;
      } else if (/^\(.*\)$/.test(tok)) {
        name = address;
        address = tok.slice(1, -1);
      } else if (!tok.startsWith("!")) {
        address = tok;
        name = undefined;
      }
    }
    result.hops.push(hop);
  }
  const last = result.hops[result.hops.length - 1];
  result.reached = !!last && last.probes.some((p) => p.address === result.targetAddress);
  return result;
}
