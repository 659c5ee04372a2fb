/** One reporting interval of iperf3 (the sum over its streams). */
export interface Iperf3Interval {
  start: number;
  end: number;
  bytes: number;
  bitsPerSecond: number;
  retransmits?: number;
  /** UDP: lost datagrams in the interval, when reported. */
  lostPackets?: number;
}
export interface Iperf3Result {
  protocol?: string;
  intervals: Iperf3Interval[];
  /** The whole test, as the receiver saw it (sender when the receiver is absent). */
  summary?: {
    bytes: number;
    bitsPerSecond: number;
    seconds: number;
    retransmits?: number;
    lostPercent?: number;
    jitterMs?: number;
  };
  /** iperf3's own error message (`"error": …`), or why the text could not be read. */
  error?: string;
}

interface Sum {
  start?: number;
  end?: number;
  seconds?: number;
  bytes?: number;
  bits_per_second?: number;
  retransmits?: number;
  lost_packets?: number;
  lost_percent?: number;
  jitter_ms?: number;
}

/**
 * Parses the JSON iperf3 prints with `-J` into a throughput series. Text that is not complete
 * JSON yet (a test still running) gives an empty series, not an error. Browser-safe.
 */
export function parseIperf3(text: string): Iperf3Result {
  const trimmed = text.trim();
  if (!trimmed) return { intervals: [] };
  let doc: {
    start?: { test_start?: { protocol?: string } };
    intervals?: Array<{ sum?: Sum }>;
    end?: { sum_received?: Sum; sum_sent?: Sum; sum?: Sum };
    error?: string;
  };
  try {
    doc = JSON.parse(trimmed) as typeof doc;
  } catch {
    return { intervals: [], error: trimmed.endsWith("}") ? "not iperf3 JSON output" : undefined };
  }
  const intervals: Iperf3Interval[] = [];
  for (const i of doc.intervals ?? []) {
    const s = i.sum;
    if (!s || s.end === undefined) continue;
    intervals.push({
      start: s.start ?? 0,
      end: s.end,
      bytes: s.bytes ?? 0,
      bitsPerSecond: s.bits_per_second ?? 0,
      ...(s.retransmits !== undefined ? { retransmits: s.retransmits } : {}),
      ...(s.lost_packets !== undefined ? { lostPackets: s.lost_packets } : {}),
    });
  }
  const result: Iperf3Result = { protocol: doc.start?.test_start?.protocol, intervals };
  const end = doc.end?.sum_received ?? doc.end?.sum ?? doc.end?.sum_sent;
  if (end && end.bits_per_second !== undefined) {
    result.summary = {
      bytes: end.bytes ?? 0,
      bitsPerSecond: end.bits_per_second,
      seconds: end.seconds ?? (end.end ?? 0) - (end.start ?? 0),
      ...(doc.end?.sum_sent?.retransmits !== undefined ? { retransmits: doc.end.sum_sent.retransmits } : {}),
      ...(end.lost_percent !== undefined ? { lostPercent: end.lost_percent } : {}),
      ...(end.jitter_ms !== undefined ? { jitterMs: end.jitter_ms } : {}),
    };
  }
  if (doc.error) result.error = doc.error;
  return result;
}
