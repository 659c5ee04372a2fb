import type { StateEvent } from "../model/events.js";
import type { GateEvent } from "../model/waiting.js";
import type { EcState } from "../model/states.js";

export interface LogEvent {
  guid?: number;
  message: string;
  at: number;
}

export interface ExperimentEvent {
  state: EcState;
  reason?: string;
  at: number;
}

/** What an `ExperimentController` emits. */
export interface ControllerEvents extends Record<string, unknown> {
  state: StateEvent;
  log: LogEvent;
  experiment: ExperimentEvent;
  /** A condition's delay started counting (`armed`, with `firesAt`), or the condition opened. */
  gate: GateEvent;
}

/** Emits one controller event (the controller's own `emit`, handed to its parts). */
export type EmitEvent = <K extends keyof ControllerEvents>(name: K, event: ControllerEvents[K]) => void;
