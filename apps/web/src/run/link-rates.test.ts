import { describe, expect, it } from "vitest";
import { createRunStore, MAX_LINK_FEEDS } from "./store";

describe("the run store's link rates", () => {
  it("keeps each link's latest rate, and forgets them with the run", () => {
    const run = createRunStore();
    run.getState().beginRun("r1");
    run.getState().setLinkRate(3, { at: 1, forwardBps: 10e6, backwardBps: 0, up: true });
    run.getState().setLinkRate(3, { at: 2, forwardBps: 5e6, backwardBps: 0, up: false });
    expect(run.getState().linkRates[3]).toEqual({ at: 2, forwardBps: 5e6, backwardBps: 0, up: false });
    run.getState().beginRun("r2");
    expect(run.getState().linkRates).toEqual({});
  });

  it("lends at most a bounded number of counters streams at once", () => {
    const run = createRunStore();
    for (let i = 0; i < MAX_LINK_FEEDS; i++) expect(run.getState().claimLinkFeed()).toBe(true);
    expect(run.getState().claimLinkFeed()).toBe(false);
    run.getState().releaseLinkFeed();
    expect(run.getState().claimLinkFeed()).toBe(true);
  });
});
