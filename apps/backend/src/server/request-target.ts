/**
 * A request's target (the path and query of `GET <target> HTTP/1.1`) as a URL, or undefined
 * when it is not one a client may send: anything may arrive on the socket, and parsing it must
 * never throw. `//x` is a path here, not a host.
 */
export function requestTarget(target: string | undefined): URL | undefined {
  const raw = target ?? "/";
  // Origin form (`/path?query`) is the one browsers and our clients send; absolute form is allowed.
  const full = raw.startsWith("/") ? `http://local${raw}` : raw;
  if (!URL.canParse(full)) return undefined;
  const url = new URL(full);
  return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
}

/** A percent-encoded piece of a path or cookie, decoded; undefined when the encoding is malformed. */
export function decodeComponent(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}
