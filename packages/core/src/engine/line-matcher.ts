/** The longest unfinished line kept between chunks: a line longer than this is matched on its end. */
export const MAX_LINE_CHARS = 64 * 1024;

/**
 * Matches a pattern against each line of a text that arrives in chunks: a line split across
 * chunks is matched whole, and the line still being written is tried too (a prompt printed
 * without a newline). Only the unfinished last line is kept, bounded by MAX_LINE_CHARS.
 */
export class LineMatcher {
  private tail = "";
  /** Complete lines seen so far. */
  lines = 0;

  constructor(private readonly pattern: RegExp) {}

  /** Feeds the next chunk: true when a line of it (or the one being written) matches. */
  push(chunk: string): boolean {
    const text = this.tail + chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      this.lines++;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl; // CRLF
      if (this.pattern.test(text.slice(start, end))) return true;
      start = nl + 1;
    }
    this.tail = text.length - start > MAX_LINE_CHARS ? text.slice(text.length - MAX_LINE_CHARS) : text.slice(start);
    return this.tail !== "" && this.pattern.test(this.tail);
  }
}
