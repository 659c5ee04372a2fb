import type { GridRow } from "./feed";

/** Points × runs, each cell coloured by its run's status; a cell with a run opens it as any run is opened. */
export function CampaignGrid({ rows, onOpen }: { rows: GridRow[]; onOpen(runId: string): void }) {
  return (
    <table className="campaign-grid" data-testid="campaign-grid">
      <tbody>
        {rows.map((row) => (
          <tr key={row.point}>
            <th scope="row" title={row.label}>
              {row.point}. {row.label}
            </th>
            <td>
              <div className="campaign-cells">
                {row.cells.map((c) => (
                  <button
                    key={c.run}
                    type="button"
                    className={`campaign-cell campaign-cell-${c.status}`}
                    data-testid="campaign-cell"
                    data-point={row.point}
                    data-run={c.run}
                    data-status={c.status}
                    title={c.runId ? `${c.title} — open this run` : c.title}
                    disabled={!c.runId}
                    onClick={() => c.runId && onOpen(c.runId)}
                  >
                    {c.run}
                  </button>
                ))}
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
