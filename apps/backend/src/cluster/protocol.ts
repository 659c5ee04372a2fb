import { z } from "zod";

/** The pg-boss queue of runs waiting for a worker. */
export const RUN_QUEUE = "nepi-runs";

export const RunJobSchema = z.object({ runId: z.string(), guids: z.array(z.number().int()).optional() });
export type RunJob = z.infer<typeof RunJobSchema>;

/**
 * A worker stored events of these runs (`closed`: it released them, or cleaned them up after
 * a dead worker). One notice per turn for all its runs: a payload stays under 8,000 bytes.
 */
export const EventsNoticeSchema = z.object({ runIds: z.array(z.string()), closed: z.boolean().optional() });
export const RUN_IDS_PER_NOTICE = 150;

/** The pg-boss queue of campaigns waiting for a worker (to start, or to resume where they stopped). */
export const CAMPAIGN_QUEUE = "nepi-campaigns";

export const CampaignJobSchema = z.object({ campaignId: z.string(), resume: z.boolean() });
export type CampaignJob = z.infer<typeof CampaignJobSchema>;

/** A worker stored events of these campaigns (`closed`: each ended, or was interrupted). */
export const CampaignNoticeSchema = z.object({ campaignIds: z.array(z.string()), closed: z.boolean().optional() });

/** An API server asks the worker running a campaign to stop it (answered with a ControlReply). */
export const CampaignControlSchema = z.object({ id: z.string(), campaignId: z.string(), action: z.literal("stop") });
export type CampaignControl = z.infer<typeof CampaignControlSchema>;

export const ControlRequestSchema = z.object({
  id: z.string(),
  runId: z.string(),
  action: z.enum(["stop", "release", "redeploy", "retryFailed"]),
  guid: z.number().int().optional(),
});
export type ControlRequest = z.infer<typeof ControlRequestSchema>;

export const ControlReplySchema = z.object({
  id: z.string(),
  ok: z.boolean(),
  answer: z.unknown().optional(),
  /** A refusal's tRPC code and message, as the worker's RunManager gave them. */
  code: z.string().optional(),
  message: z.string().optional(),
});
export type ControlReply = z.infer<typeof ControlReplySchema>;
