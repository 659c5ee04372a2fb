import { tracked } from "@trpc/server";
import { z } from "zod";
import { ExperimentDocumentSchema, type CampaignEvent, type ExperimentDocument } from "@nepi/core";
import { AsyncQueue } from "../runs/async-queue.js";
import type { Context } from "./context.js";
import { IdSchema } from "./experiments.js";
import { procedure, router } from "./trpc.js";

const CampaignRef = z.object({ campaignId: IdSchema });
/** A tracked event id: the `seq` of the last campaign event received. */
const EventId = z
  .string()
  .regex(/^\d{1,15}$/, "expected the id of an event received before")
  .nullish();

/**
 * A campaign's events from `lastEventId` on (or a snapshot first), then live until it ends.
 * The live feed is joined before the backlog is read, and what it brings meanwhile is held:
 * no event is lost, and none is repeated (each is taken once, by its seq).
 */
async function openCampaignFeed(
  ctx: Context,
  campaignId: string,
  lastEventId: string | null | undefined,
  signal: AbortSignal | undefined,
) {
  const queue = new AsyncQueue<CampaignEvent>();
  const held: CampaignEvent[] = [];
  let joined = false;
  let closed = false;
  let after = 0;
  const take = (e: CampaignEvent) => {
    if (e.seq <= after) return;
    after = e.seq;
    queue.push(e);
  };
  const onEvent = (e: CampaignEvent) => (joined ? take(e) : held.push(e));
  const onClosed = () => (joined ? queue.end() : (closed = true));
  const endSubscription = ctx.connection.openSubscription();
  const done = ctx.streams.open();
  const unwatch = ctx.campaigns.watch(campaignId, onEvent, onClosed);
  let unwatchElsewhere: (() => void) | undefined;
  signal?.addEventListener("abort", onClosed, { once: true });
  const close = () => {
    done();
    endSubscription();
    unwatch?.();
    unwatchElsewhere?.();
    signal?.removeEventListener("abort", onClosed);
  };
  try {
    if (lastEventId == null) {
      const snapshot = await ctx.campaigns.snapshot(campaignId);
      queue.push(snapshot);
      after = snapshot.seq;
    } else {
      after = Number(lastEventId);
      for (const e of await ctx.campaigns.eventsAfter(campaignId, after)) take(e);
    }
  } catch (err) {
    close();
    throw err;
  }
  for (const e of held) take(e);
  joined = true;
  // A campaign run by a worker: its events as they are stored, from where the backlog ended.
  if (!unwatch && !closed) unwatchElsewhere = ctx.campaigns.watchElsewhere(campaignId, after, take, () => queue.end());
  if (closed || (!unwatch && !unwatchElsewhere)) queue.end();
  return { queue, close };
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
      const feed = await openCampaignFeed(ctx, input.campaignId, input.lastEventId, signal);
      return feed.queue.map((e) => tracked(String(e.seq), e), feed.close);
    }),
});
