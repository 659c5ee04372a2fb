import { memo, useEffect, useRef, useState } from "react";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import "@xterm/xterm/css/xterm.css";
import type { TerminalServerMessage } from "@nepi/core";
import { terminalUrl, type TerminalTarget } from "./terminals";

const utf8 = new TextEncoder();

/**
 * One shell in xterm.js over the terminal WebSocket: keystrokes go as binary frames, the
 * pane's size as a JSON resize frame whenever it changes (the fit addon measures it), and
 * unmounting the pane closes the socket, which ends the shell.
 */
export const TerminalPane = memo(function TerminalPane({ target, onClose }: { target: TerminalTarget; onClose: () => void }) {
  const hostRef = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState("connecting…");

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    const term = new Terminal({
      cursorBlink: true,
      scrollback: 5000,
      fontSize: 12,
      fontFamily: "'DejaVu Sans Mono', 'Liberation Mono', ui-monospace, monospace",
      theme: { background: "#1d2127", foreground: "#e6e6e6" },
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    fit.fit();
    const ws = new WebSocket(terminalUrl(target, { cols: term.cols, rows: term.rows }));
    ws.binaryType = "arraybuffer";
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => {
      if (typeof e.data !== "string") return term.write(new Uint8Array(e.data));
      const msg = JSON.parse(e.data) as TerminalServerMessage;
      if (msg.type === "ready") {
        setStatus(msg.host);
        term.focus();
      } else if (msg.type === "error") {
        setStatus(msg.message);
        term.write(`\r\n\x1b[31m${msg.message}\x1b[0m\r\n`);
      } else {
        const why = msg.reason ?? (msg.code !== undefined ? `exit ${msg.code}` : "closed");
        setStatus(`shell ended (${why})`);
        term.write(`\r\n\x1b[2m[shell ended: ${why}]\x1b[0m\r\n`);
      }
    };
    ws.onclose = () => setStatus((s) => (s.startsWith("shell ended") || s === "connecting…" ? s : `${s} — disconnected`));
    const send = (data: string | Uint8Array) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(data);
    };
    const typed = term.onData((d) => send(utf8.encode(d)));
    const resized = term.onResize(({ cols, rows }) => send(JSON.stringify({ type: "resize", cols, rows })));
    // The pane follows its box (the user drags its corner, the window changes): refit, and the resize reaches the shell.
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host);
    return () => {
      observer.disconnect();
      typed.dispose();
      resized.dispose();
      ws.close();
      term.dispose();
    };
  }, [target]);

  return (
    <section
      className="terminal-pane"
      data-testid="terminal-pane"
      data-guid={target.guid}
      aria-label={`Terminal on ${target.label}`}
    >
      <header className="terminal-header">
        <strong>{target.label}</strong>
        <span className="muted small terminal-status" data-testid="terminal-status">
          {status}
        </span>
        <button
          type="button"
          className="btn btn-icon btn-small"
          data-testid="terminal-close"
          title="Close the terminal (ends the shell)"
          onClick={onClose}
        >
          ×
        </button>
      </header>
      <div className="terminal-screen" ref={hostRef} data-testid="terminal-screen" />
    </section>
  );
});
