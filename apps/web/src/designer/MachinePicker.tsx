import { useMemo } from "react";
import { MACHINE_ROLE, type ResourceTypeInfo } from "@nepi/core";
import { useDesignStore, useDesignStoreApi } from "./store";
import { connectedMachine, machinesOf } from "./insert-topology";

/** True for a type built on a machine (an emulated host or switch: a rule about the machine role). */
export function hasMachine(info: ResourceTypeInfo | undefined): boolean {
  return info?.connections.some((c) => c.role === MACHINE_ROLE) ?? false;
}

/**
 * The machine a host-like resource is built on: the design's machine-role resources, or this
 * machine (localhost, no SSH) when it is connected to none. A connection drawn by hand shows here.
 */
export function MachinePicker({ guid, disabled }: { guid: number; disabled: boolean }) {
  const design = useDesignStoreApi();
  const nodes = useDesignStore((s) => s.nodes);
  const catalog = useDesignStore((s) => s.catalog);
  const machines = useMemo(() => machinesOf(nodes, catalog), [nodes, catalog]);
  const current = useDesignStore((s) => connectedMachine(s.connections, machines, guid));
  return (
    <div className="field">
      <label className="field-label" htmlFor="resource-machine">
        <span>machine</span>
      </label>
      <select
        id="resource-machine"
        data-testid="machine-picker"
        value={current === null ? "" : String(current)}
        disabled={disabled}
        onChange={(e) => design.getState().setMachine(guid, e.target.value ? Number(e.target.value) : null)}
      >
        <option value="">this machine (localhost)</option>
        {machines.map((m) => (
          <option key={m.guid} value={String(m.guid)}>
            {m.name}
          </option>
        ))}
      </select>
      <div className="field-help">Where it is built: a Linux node of the design (over its SSH), or this machine.</div>
    </div>
  );
}
