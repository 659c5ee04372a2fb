import { tracked } from "@trpc/server";
import { z } from "zod";
import { ExperimentDocumentSchema, type CampaignEvent, type ExperimentDocument } from "@nepi/core";
import type { Context } from "./context.js";
import { IdSchema } from "./experiments.js";
import { procedure, router } from "./trpc.js";
import { EventId, openEventFeed, type FeedSource } from "./event-feed.js";

const CampaignRef = z.object({ campaignId: IdSchema });
/** A campaign's events as a feed (see openEventFeed). */
function campaignFeed(ctx: Context, campaignId: string): FeedSource<CampaignEvent> {
  return {
    watch: (onEvent, onClosed) => ctx.campaigns.watch(campaignId, onEvent, onClosed),
    snapshot: () => ctx.campaigns.snapshot(campaignId),
    eventsAfter: (seq) => ctx.campaigns.eventsAfter(campaignId, seq),
    watchElsewhere: (after, onEvent, onEnd) => ctx.campaigns.watchElsewhere(campaignId, after, onEvent, onEnd),
  };
}

export const campaignsRouter = router({
  /**
   * Starts a campaign: of a saved design with a campaign (`experimentId`), or of a `document`
   * with one. Its runs run one after another, each a normal run; returns at once.
   */
  start: procedure
    .input(
      z
        .object({ experimentId: IdSchema.optional(), document: ExperimentDocumentSchema.optional() })
        .refine((i) => (i.experimentId === undefined) !== (i.document === undefined), {
          path: ["experimentId"],
          message: "expected either experimentId (a saved design with a campaign) or document, not both",
        }),
    )
    .mutation(async ({ ctx, input }) => ({
      campaignId: await ctx.campaigns.start(
        input.document ? { document: input.document as ExperimentDocument } : { experimentId: input.experimentId! },
      ),
    })),

  /** A campaign: its points, each run (status, metrics, run id), the summary (mean, std, ciLow, ciHigh) and status. */
  get: procedure.input(CampaignRef).query(({ ctx, input }) => ctx.campaigns.get(input.campaignId)),

  /** The campaigns of an experiment (or all), newest first. */
  list: procedure
    .input(z.object({ experimentId: IdSchema.optional() }).optional())
    .query(({ ctx, input }) => ctx.campaigns.list(input?.experimentId)),

  /** Stops the run under way (released, not counted) and starts no other; the campaign ends STOPPED. */
  stop: procedure.input(CampaignRef).mutation(async ({ ctx, input }) => {
    await ctx.campaigns.stop(input.campaignId);
    return { campaignId: input.campaignId };
  }),

  /**
   * Continues a STOPPED, INTERRUPTED or FAILED campaign with only the runs it still lacks
   * (nothing done twice); its events go on with the same ids.
   */
  resume: procedure.input(CampaignRef).mutation(async ({ ctx, input }) => {
    await ctx.campaigns.resume(input.campaignId);
    return { campaignId: input.campaignId };
  }),

  /**
   * A snapshot of the campaign, then each run as it starts and ends (with the summary as it
   * stands) and each status change. Each event's id is its `seq`: resubscribing with
   * `lastEventId` resumes right after it. The stream ends when the campaign does.
   */
  events: procedure
    .input(z.object({ campaignId: IdSchema, lastEventId: EventId }))
    .subscription(async ({ ctx, input, signal }) => {
      const feed = await openEventFeed(ctx, campaignFeed(ctx, input.campaignId), input.lastEventId, signal);
      return feed.queue.map((e) => tracked(String(e.seq), e), feed.close);
    }),
});
