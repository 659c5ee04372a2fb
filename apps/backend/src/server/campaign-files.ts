import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ServerResponse } from "node:http";
import type { CampaignManager } from "../campaigns/campaign-manager.js";

type Reply = (res: ServerResponse, status: number, message: string) => void;

/**
 * GET /files/campaigns/<campaignId>/{runs,summary}.{csv,json}: the campaign's tables as the
 * runner wrote them (each file is replaced whole as a run ends, so a read is never half a row).
 */
export async function sendCampaignFile(
  campaigns: CampaignManager,
  res: ServerResponse,
  campaignId: string,
  file: string,
  head: boolean,
  reply: Reply,
): Promise<void> {
  let dir: string;
  try {
    dir = await campaigns.dir(campaignId);
  } catch (err) {
    return reply(res, 404, (err as Error).message);
  }
  let body: Buffer;
  try {
    body = await readFile(join(dir, file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      return reply(res, 409, `campaign "${campaignId}" has no ${file} yet: it is written as its first run ends`);
    throw err;
  }
  res.writeHead(200, {
    "Content-Type": file.endsWith(".csv") ? "text/csv; charset=utf-8" : "application/json",
    "Content-Length": body.length,
    "Content-Disposition": `attachment; filename="${file}"`,
  });
  res.end(head ? undefined : body);
}
