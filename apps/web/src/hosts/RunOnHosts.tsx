import { useEffect, useRef, useState } from "react";
import type { DesignHost, HostExecResult } from "@nepi/core";
import { useDesignStore } from "../designer/store";
import { useEditor } from "../editor";
import {
  answerSummary,
  hasHost,
  hostsOfDesign,
  initialChoice,
  outcome,
  runBlocker,
  runOnHosts,
  type RunAnswer,
} from "./run-on-hosts";
import "./hosts.css";

/** The toolbar's "Run on hosts…" button and the panel it opens. */
export function RunOnHostsButton() {
  const [open, setOpen] = useState(false);
  const anyHost = useDesignStore((s) => hasHost(s.nodes, s.catalog));
  return (
    <>
      <button
        type="button"
        className="btn"
        data-testid="run-on-hosts"
        disabled={!anyHost}
        onClick={() => setOpen(true)}
        title={anyHost ? "Run one shell command on the design's hosts at once" : "The design has no host to run a command on"}
      >
        Run on hosts…
      </button>
      {open && <RunOnHostsDialog onClose={() => setOpen(false)} />}
    </>
  );
}

/** Pick hosts, type a command, see what each host answered. */
export function RunOnHostsDialog({ onClose }: { onClose(): void }) {
  const { design } = useEditor();
  const readOnly = useDesignStore((s) => s.readOnly);
  const ref = useRef<HTMLDialogElement>(null);
  const [hosts] = useState<DesignHost[]>(() => hostsOfDesign(design));
  const [chosen, setChosen] = useState<number[]>(() => initialChoice(hosts, design.getState().selectedGuids));
  const [command, setCommand] = useState("");
  const [running, setRunning] = useState(false);
  const [answer, setAnswer] = useState<RunAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  const blocker = runBlocker({ readOnly, chosen: chosen.length, command, running });
  const toggle = (guid: number, on: boolean) => setChosen((c) => (on ? [...c, guid] : c.filter((g) => g !== guid)));
  const run = async () => {
    if (blocker) return;
    setRunning(true);
    setError(null);
    const a = await runOnHosts(design, chosen, command);
    setRunning(false);
    if ("error" in a) {
      setError(a.error);
      setAnswer(null);
    } else setAnswer(a);
  };

  return (
    <dialog ref={ref} className="dialog exec-dialog" data-testid="exec-dialog" onClose={onClose} onCancel={onClose}>
      <header className="dialog-header">
        <h2>Run on hosts</h2>
        <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div className="dialog-body">
        <fieldset className="exec-hosts">
          <legend>
            Hosts{" "}
            <button type="button" className="btn btn-small" onClick={() => setChosen(hosts.map((h) => h.guid))}>
              All
            </button>{" "}
            <button type="button" className="btn btn-small" onClick={() => setChosen([])}>
              None
            </button>
          </legend>
          {hosts.map((h) => (
            <label key={h.guid} className="exec-host">
              <input
                type="checkbox"
                data-testid="exec-host"
                data-guid={h.guid}
                checked={chosen.includes(h.guid)}
                onChange={(e) => toggle(h.guid, e.target.checked)}
              />
              {h.label}
            </label>
          ))}
        </fieldset>
        <div className="field">
          <label className="field-label" htmlFor="exec-command">
            Command (run by sh on each host; Ctrl+Enter runs it)
          </label>
          <textarea
            id="exec-command"
            data-testid="exec-command"
            rows={2}
            spellCheck={false}
            value={command}
            placeholder="uname -a; uptime"
            onChange={(e) => setCommand(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                void run();
              }
            }}
          />
        </div>
        <button
          type="button"
          className="btn"
          data-testid="exec-run"
          disabled={blocker !== null}
          title={blocker ?? "Run it on the ticked hosts at once"}
          onClick={() => void run()}
        >
          {running ? "Running…" : "Run"}
        </button>
        {error && (
          <p className="field-error" role="alert" data-testid="exec-error">
            {error}
          </p>
        )}
        {answer && <HostResults results={answer.results} />}
      </div>
    </dialog>
  );
}

/** Each host's answer under its label: exit code (or why it did not run), duration, stdout, stderr. */
export function HostResults({ results }: { results: readonly HostExecResult[] }) {
  return (
    <section className="exec-results" data-testid="exec-results">
      <p className="muted" data-testid="exec-summary">
        {answerSummary(results)}
      </p>
      {results.map((r) => (
        <article
          key={r.guid}
          className={`exec-result ${r.ok ? "is-ok" : "is-failed"}`}
          data-testid="exec-result"
          data-label={r.label}
          data-ok={r.ok}
        >
          <header className="exec-result-header">
            <strong>{r.label}</strong>
            {r.address && <span className="muted">{r.address}</span>}
            <span className="exec-outcome" data-testid="exec-outcome">
              {outcome(r)}
            </span>
            <span className="muted">{Math.round(r.durationMs)} ms</span>
          </header>
          {r.stdout && <pre data-testid="exec-stdout">{r.stdout}</pre>}
          {r.stderr && (
            <pre className="exec-stderr" data-testid="exec-stderr">
              {r.stderr}
            </pre>
          )}
          {r.truncated && <p className="muted">The output was cut: it is longer than the limit.</p>}
        </article>
      ))}
    </section>
  );
}
