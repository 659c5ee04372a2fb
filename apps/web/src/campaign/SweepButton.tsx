import { useState } from "react";
import type { AttributeDef, AttributeValue } from "@nepi/core";
import { useDesignStore, useDesignStoreApi } from "../designer/store";
import { formatValues, parseSweepValues, sweptValues, withSweep } from "./edit";

/** The attributes a campaign can sweep: set by the user (not reported by the resource), never a credential. */
export function sweepable(def: AttributeDef): boolean {
  return !def.flags.execReadOnly && !def.flags.credential;
}

/**
 * "Sweep…" next to an attribute in the inspector: asks for the values the campaign gives it
 * (comma-separated, checked against the attribute), and sweeps it in the design's campaign.
 */
export function SweepButton({ label, def, value }: { label: string; def: AttributeDef; value: AttributeValue | undefined }) {
  const store = useDesignStoreApi();
  const swept = useDesignStore((s) => sweptValues(s.campaign, label, def.name));
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const open = () => {
    setError(null);
    setText(swept ? formatValues(swept) : (value ?? def.default) !== undefined ? String(value ?? def.default) : "");
  };
  const apply = () => {
    const parsed = parseSweepValues(def, text ?? "");
    if ("error" in parsed) return setError(parsed.error);
    const s = store.getState();
    s.setCampaign(withSweep(s.campaign, { resource: label, attribute: def.name, values: parsed.values }));
    setText(null);
  };

  if (text === null)
    return (
      <button
        type="button"
        className="sweep-button"
        data-testid={`sweep-${def.name}`}
        title={`Run the design for several values of ${def.name} (the Campaign tab below)`}
        onClick={open}
      >
        {swept ? `Swept: ${formatValues(swept)}` : "Sweep this attribute…"}
      </button>
    );
  return (
    <div className="sweep-form" data-testid="sweep-form">
      <input
        type="text"
        data-testid="sweep-values"
        aria-label={`values of ${def.name} to sweep, comma-separated`}
        placeholder="values, comma-separated"
        value={text}
        autoFocus
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") apply();
          if (e.key === "Escape") setText(null);
        }}
      />
      <button type="button" data-testid="sweep-apply" onClick={apply}>
        Sweep
      </button>
      <button type="button" onClick={() => setText(null)}>
        Cancel
      </button>
      {error && (
        <p className="field-error" role="alert" data-testid="sweep-error">
          {error}
        </p>
      )}
    </div>
  );
}
