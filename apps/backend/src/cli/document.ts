import { readFile } from "node:fs/promises";
import { validateDocument, type Problem } from "@nepi/core/node";

export interface LoadedDocument {
  doc: unknown;
  problems: Problem[];
}

/** Reads and checks an experiment document: every problem, each with its JSON path. */
export async function loadDocument(file: string): Promise<LoadedDocument> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    return { doc: undefined, problems: [{ path: "(file)", message: `cannot read ${file}: ${(e as Error).message}` }] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { doc: undefined, problems: [{ path: "(file)", message: `${file} is not valid JSON: ${(e as Error).message}` }] };
  }
  return { doc, problems: validateDocument(doc) };
}

export function formatProblem(p: Problem): string {
  return `${p.severity === "warning" ? "warning" : "error"}: ${p.path}: ${p.message}`;
}
