import { describe, expect, it } from "vitest";
import { renderToStaticMarkup } from "react-dom/server";
import { RetryFailedButton } from "./RunControls";
import { retryBlocker, type RetryGate } from "./actions";

const render = (gate: RetryGate) => renderToStaticMarkup(<RetryFailedButton gate={gate} onRetry={() => {}} />);

describe("the Retry failed button", () => {
  it("is offered, enabled, for a live run that finished with failures or still runs with one", () => {
    for (const status of ["FINISHED_WITH_FAILURES", "RUNNING"]) {
      const html = render({ live: true, status, failed: 1 });
      expect(html).toMatch(
        /^<button type="button" data-testid="retry-failed" class="run-btn" title="Run the failed resources again[^"]*">Retry failed<\/button>$/,
      );
    }
  });

  it("is not there when nothing failed", () => {
    expect(render({ live: true, status: "FINISHED", failed: 0 })).toBe("");
    expect(render({ live: true, status: "RUNNING", failed: 0 })).toBe("");
  });

  it("is disabled, saying why, when the run cannot retry", () => {
    expect(render({ live: false, status: "FINISHED_WITH_FAILURES", failed: 1 })).toMatch(
      /disabled="" title="Only a run followed live can retry its failed resources."/,
    );
    expect(render({ live: true, status: "FAILED", failed: 1 })).toMatch(
      /disabled="" title="A critical resource failed: the run was released. Deploy again."/,
    );
    expect(retryBlocker({ live: true, status: "STOPPED", failed: 1 })).toMatch(
      /^Only a run that is still going or finished with failures/,
    );
    expect(retryBlocker({ live: true, status: "FINISHED_WITH_FAILURES", failed: 0 })).toBe("No resource has failed.");
  });
});
