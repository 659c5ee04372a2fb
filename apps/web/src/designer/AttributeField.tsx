import { memo, useEffect, useId, useState } from "react";
import { attributeValueProblem, type AttributeDef, type AttributeValue } from "@nepi/core";

/** Free-text attributes that hold shell code or text get a multi-line box. */
const MULTILINE = new Set(["command", "build", "install", "stdin"]);

interface Props {
  def: AttributeDef;
  value: AttributeValue | undefined;
  disabled: boolean;
  onChange(value: AttributeValue | undefined): void;
  /** Test id of the input (default `attr-<name>`); its error gets `<testId>-error` when given. */
  testId?: string;
  /** Text of the label (default: the attribute's name). */
  label?: string;
}

/** Number typed so far → the attribute's value (text that is not a number is kept, so the problem shows). */
function parseNumber(text: string): AttributeValue | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

/**
 * One attribute of the inspector, its input chosen by the metadata: number inputs, a select for
 * an enum, a switch for a boolean, a time string checked as typed, a password field for a
 * credential (never filled back in).
 */
export const AttributeField = memo(function AttributeField({
  def,
  value,
  disabled: locked,
  onChange,
  testId: customTestId,
  label,
}: Props) {
  // execReadOnly attributes are reported by the resource during a run, never set by the user.
  const disabled = locked || Boolean(def.flags.execReadOnly);
  const id = useId();
  const testId = customTestId ?? `attr-${def.name}`;
  const errorTestId = customTestId ? `${customTestId}-error` : `attr-error-${def.name}`;
  const shown = value ?? def.default;
  const problem = value !== undefined && !def.flags.credential ? attributeValueProblem(def, value) : undefined;
  const [draft, setDraft] = useState(value === undefined ? "" : String(value));
  // Follow outside changes (undo, another node) without fighting the user's typing.
  useEffect(() => {
    setDraft((d) => (parseNumber(d) === value || d === value ? d : value === undefined ? "" : String(value)));
  }, [value]);

  let input: React.ReactNode;
  if (def.flags.credential) {
    const isSet = value !== undefined && value !== "";
    input = (
      <div className="credential-row">
        <input
          id={id}
          data-testid={testId}
          type="password"
          autoComplete="new-password"
          disabled={disabled}
          defaultValue=""
          placeholder={isSet ? "•••••• set — type to replace" : "not set"}
          onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        />
        {isSet && !disabled && (
          <button type="button" className="btn btn-small" onClick={() => onChange(undefined)}>
            Clear
          </button>
        )}
      </div>
    );
  } else if (def.type === "boolean") {
    const checked = shown === true;
    input = (
      <label className="switch">
        <input
          id={id}
          data-testid={testId}
          type="checkbox"
          role="switch"
          disabled={disabled}
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
        />
        <span className="switch-track" aria-hidden="true" />
        <span className="switch-text">{checked ? "on" : "off"}</span>
      </label>
    );
  } else if (def.type === "enum") {
    input = (
      <select
        id={id}
        data-testid={testId}
        disabled={disabled}
        value={shown === undefined ? "" : String(shown)}
        onChange={(e) => onChange(e.target.value)}
      >
        {shown === undefined && <option value="">— choose —</option>}
        {(def.allowed ?? []).map((v) => (
          <option key={v} value={v}>
            {v}
            {v === def.default ? " (default)" : ""}
          </option>
        ))}
      </select>
    );
  } else if (def.type === "integer" || def.type === "double") {
    input = (
      <input
        id={id}
        data-testid={testId}
        type="number"
        inputMode={def.type === "integer" ? "numeric" : "decimal"}
        step={def.type === "integer" ? 1 : "any"}
        min={def.min}
        max={def.max}
        disabled={disabled}
        value={draft}
        placeholder={def.default !== undefined ? String(def.default) : ""}
        onChange={(e) => {
          setDraft(e.target.value);
          onChange(parseNumber(e.target.value));
        }}
      />
    );
  } else if (MULTILINE.has(def.name)) {
    input = (
      <textarea
        id={id}
        data-testid={testId}
        rows={2}
        spellCheck={false}
        disabled={disabled}
        value={draft}
        placeholder={def.default !== undefined ? String(def.default) : ""}
        onChange={(e) => {
          setDraft(e.target.value);
          onChange(e.target.value === "" ? undefined : e.target.value);
        }}
      />
    );
  } else {
    input = (
      <input
        id={id}
        data-testid={testId}
        type="text"
        spellCheck={false}
        disabled={disabled}
        value={draft}
        placeholder={def.default !== undefined ? String(def.default) : def.type === "time" ? "e.g. 2s, 500ms, 1.5m" : ""}
        aria-invalid={problem ? true : undefined}
        onChange={(e) => {
          setDraft(e.target.value);
          onChange(e.target.value === "" ? undefined : e.target.value);
        }}
      />
    );
  }

  return (
    <div className={`field${problem ? " has-error" : ""}`} data-field={def.name}>
      <label htmlFor={id} className="field-label">
        <span>{label ?? def.name}</span>
        {def.required && (
          <span className="req" title="required">
            *
          </span>
        )}
        <span className="field-type">{def.flags.credential ? "secret" : def.type}</span>
      </label>
      {input}
      {problem ? (
        <div className="field-error" role="alert" data-testid={errorTestId}>
          {problem}
        </div>
      ) : (
        <div className="field-help">{def.help}</div>
      )}
    </div>
  );
});
