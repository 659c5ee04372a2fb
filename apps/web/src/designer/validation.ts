import { validateDocument, type ExperimentDocument, type Problem } from "@nepi/core";

/**
 * Problems of a design, from core's validateDocument — the very check the backend runs before
 * it accepts a document, so the designer never disagrees with the server.
 */
export function computeProblems(doc: ExperimentDocument): Problem[] {
  return validateDocument(doc);
}
