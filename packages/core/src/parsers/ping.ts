/** One echo reply of `ping` (iputils). */
export interface PingReply {
  seq: number;
  ttl?: number;
  rttMs: number;
  bytes?: number;
  from?: string;
}
export interface PingSummary {
  transmitted: number;
  received: number;
  lossPercent: number;
  errors?: number;
  minMs?: number;
  avgMs?: number;
  maxMs?: number;
  mdevMs?: number;
}
export interface PingResult {
  target?: string;
  replies: PingReply[];
  /** Sequence numbers that got no reply before a later one came (or before the summary). */
  missing: number[];
  /** Present once ping printed its statistics. */
  summary?: PingSummary;
}

const REPLY = /^(\d+) bytes from ([^:]+):.*?icmp_seq=(\d+)(?:.*?ttl=(\d+))?.*?time[=<]([\d.]+) ?ms/;
const STATS = /(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) errors)?.*?([\d.]+)% packet loss/;
const RTT = /(?:rtt|round-trip) min\/avg\/max\/(?:mdev|stddev) = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/;

/**
 * Parses ping's output — complete or as far as it got (a live trace): the RTT series, the
 * replies missing, and the loss summary when present. Browser-safe.
 */
export function parsePing(text: string): PingResult {
  const result: PingResult = { replies: [], missing: [] };
  let summary: PingSummary | undefined;
  for (const line of text.split("\n")) {
    const head = /^PING (\S+)/.exec(line);
    if (head) {
      result.target = head[1];
      continue;
    }
    const r = REPLY.exec(line);
    if (r) {
      result.replies.push({
        bytes: Number(r[1]),
        from: r[2]!.replace(/ \(.*\)$/, ""),
        seq: Number(r[3]),
        ttl: r[4] ? Number(r[4]) : undefined,
        rttMs: Number(r[5]),
      });
      continue;
    }
    const s = STATS.exec(line);
    if (s) {
      summary = { transmitted: Number(s[1]), received: Number(s[2]), lossPercent: Number(s[4]) };
      if (s[3]) summary.errors = Number(s[3]);
      continue;
    }
    const t = RTT.exec(line);
    if (t && summary) {
      summary.minMs = Number(t[1]);
      summary.avgMs = Number(t[2]);
      summary.maxMs = Number(t[3]);
      summary.mdevMs = Number(t[4]);
    }
  }
  const seen = new Set(result.replies.map((r) => r.seq));
  const last = summary ? summary.transmitted : Math.max(0, ...seen);
  for (let seq = 1; seq <= last; seq++) if (!seen.has(seq)) result.missing.push(seq);
  result.summary = summary;
  return result;
}
