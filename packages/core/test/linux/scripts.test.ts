import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseEnv, parsePackages } from "../../src/resources/linux/scripts.js";
import { shq } from "../../src/transport/quote.js";

describe("values reach the shell as data", () => {
  it("shq makes any text one literal word for sh", () => {
    for (const text of [
      "plain",
      "",
      "it's",
      `"$(id)"`,
      "`id`",
      "a;b|c&d",
      "new\nline",
      "back\\slash",
      "$HOME ${PATH}",
      "-n",
      "*",
    ]) {
      expect(execFileSync("sh", ["-c", `printf '%s' ${shq(text)}`]).toString()).toBe(text);
    }
    expect(() => shq("nul\0byte")).toThrow(/NUL/);
  });

  it("parses env as NAME=value pairs with quoted values, refusing anything else", () => {
    expect(parseEnv(`A=1 B="two words" C='$(not run)' D=back\\ slash E=`)).toEqual([
      ["A", "1"],
      ["B", "two words"],
      ["C", "$(not run)"],
      ["D", "back slash"],
      ["E", ""],
    ]);
    expect(() => parseEnv("1BAD=x")).toThrow(/attribute "env": expected NAME=value/);
    expect(() => parseEnv(`A="open`)).toThrow(/unclosed " in the value of A/);
  });

  it("accepts Debian package names only", () => {
    expect(parsePackages("iperf3, libc6-dev g++ python3.11")).toEqual(["iperf3", "libc6-dev", "g++", "python3.11"]);
    expect(() => parsePackages("ok;rm")).toThrow(/"ok;rm" is not a Debian package name/);
  });
});
