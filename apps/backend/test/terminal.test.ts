import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { ExperimentDocumentInput, TerminalServerMessage } from "@nepi/core";
import { startSshd, type PrivateSshd } from "@nepi/core/testing/sshd";
import { startTestServer, type TestServer } from "./helpers.js";

/** A terminal WebSocket as the page opens it: output gathered, control messages kept apart. */
function openTerminal(
  url: string,
  query: Record<string, string | number>,
  headers: Record<string, string> = { Origin: url.replace(/\/$/, "") },
) {
  const ws = new WebSocket(
    `${url.replace(/^http/, "ws")}terminal?${new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`,
    { headers },
  );
  let text = "";
  const controls: TerminalServerMessage[] = [];
  const waiters: Array<() => void> = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  ws.on("message", (data: Buffer, isBinary) => {
    if (isBinary) text += data.toString("utf8");
    else controls.push(JSON.parse(data.toString("utf8")) as TerminalServerMessage);
    wake();
  });
  const closed = new Promise<{ code: number }>((resolve) => ws.on("close", (code) => resolve({ code })));
  const refused = new Promise<number>((resolve) => ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
  ws.on("error", () => {});
  const until = async <T>(find: () => T | undefined): Promise<T> => {
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return {
    ws,
    closed,
    refused,
    type: (keys: string) => ws.send(Buffer.from(keys), { binary: true }),
    control: (text: string) => ws.send(text),
    /** The first match of `re` in the terminal's output, once it is there. */
    output: (re: RegExp) => until(() => re.exec(text) ?? undefined),
    /** The first control message of `type`, once it came. */
    message: <K extends TerminalServerMessage["type"]>(type: K) =>
      until(() => controls.find((c): c is Extract<TerminalServerMessage, { type: K }> => c.type === type)),
    controls,
    until,
  };
}

const alive = (pid: number) => existsSync(`/proc/${pid}`);

let sshd: PrivateSshd;
let t: TestServer;
let experimentId: string;

beforeAll(async () => {
  sshd = await startSshd();
  t = await startTestServer();
  const doc: ExperimentDocumentInput = {
    format: "nepi-experiment@1",
    name: "terminals",
    resources: [
      {
        guid: 1,
        type: "linux::Node",
        label: "over ssh",
        attributes: {
          hostname: sshd.host,
          port: sshd.port,
          username: userInfo().username,
          identity: sshd.identity,
          knownHosts: sshd.knownHosts,
          strictHostKeyChecking: "yes",
        },
      },
      { guid: 2, type: "linux::Node", label: "this machine", attributes: { hostname: "localhost" } },
      { guid: 3, type: "linux::Application", attributes: { command: "true" } },
      { guid: 4, type: "sim::Task", attributes: {} },
    ],
    connections: [{ source: 3, target: 1 }],
  };
  experimentId = (await t.client.experiments.save.mutate({ document: doc })).id;
});

afterAll(async () => {
  await t?.stop();
  await sshd?.stop();
});

for (const [kind, guid] of [
  ["ssh", 1],
  ["local", 2],
] as const) {
  describe(`a terminal on the ${kind} host`, () => {
    it("runs what is typed, follows resizes, and closing it ends the shell", async () => {
      const term = openTerminal(t.server.url, { experimentId, guid, cols: 80, rows: 24 });
      expect((await term.message("ready")).host).toBe(
        kind === "ssh" ? `${userInfo().username}@${sshd.host}:${sshd.port}` : "local",
      );
      const word = `hi-${randomBytes(4).toString("hex")}`;
      term.type(`echo ${word}\r`);
      // The command's output line, not the echo of what was typed.
      await term.output(new RegExp(`[\\r\\n]${word}\\r?\\n`));
      term.type("stty size; echo pid-$$-end\r");
      await term.output(/[\r\n]24 80\r?\n/);
      const pid = Number((await term.output(/pid-(\d+)-end/))[1]);
      expect(alive(pid)).toBe(true);

      term.control(JSON.stringify({ type: "resize", cols: 132, rows: 43 }));
      term.type("stty size\r");
      await term.output(/[\r\n]43 132\r?\n/);

      term.ws.close();
      await term.closed;
      // The shell (and its pty) end with the pane: no process is left.
      await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 10_000, interval: 50 });
    });
  });
}

describe("the terminal WebSocket", () => {
  it("answers malformed messages with an error frame and keeps the shell", async () => {
    const term = openTerminal(t.server.url, { experimentId, guid: 2 });
    await term.message("ready");
    term.control("not json");
    expect((await term.message("error")).message).toMatch(/JSON control message/);
    term.control(JSON.stringify({ type: "resize", cols: 0, rows: 10 }));
    term.control(JSON.stringify({ type: "paste" }));
    const errors = await term.until(() => {
      const all = term.controls.flatMap((c) => (c.type === "error" ? [c.message] : []));
      return all.length >= 3 ? all : undefined;
    });
    expect(errors[1]).toMatch(/^cols: expected at least 1/);
    expect(errors[2]).toMatch(/control message/);
    const word = `still-${randomBytes(4).toString("hex")}`;
    term.type(`echo ${word}\r`);
    await term.output(new RegExp(`[\\r\\n]${word}\\r?\\n`));
    term.ws.close();
    await term.closed;
  });

  it("sends the shell's exit and closes when the shell ends by itself", async () => {
    const term = openTerminal(t.server.url, { experimentId, guid: 1 });
    await term.message("ready");
    term.type("exit 3\r");
    expect(await term.message("exit")).toEqual({ type: "exit", code: 3 });
    expect((await term.closed).code).toBe(1000);
  });

  it("opens on the host an application runs on", async () => {
    const term = openTerminal(t.server.url, { experimentId, guid: 3 });
    expect((await term.message("ready")).host).toMatch(`@${sshd.host}:${sshd.port}`);
    term.ws.close();
    await term.closed;
  });

  it("refuses what names no host, with the field", async () => {
    const cases: Array<[Record<string, string | number>, RegExp]> = [
      [{ experimentId, guid: 4 }, /^guid: resource 4 \(sim::Task\) is not a host and runs on none/],
      [{ experimentId, guid: 99 }, /^guid: experiment "terminals" has no resource 99/],
      [{ experimentId: "nope", guid: 1 }, /^experimentId: no saved experiment "nope"/],
      [{ experimentId, guid: "x" }, /^guid: expected a guid/],
      [{ guid: 1 }, /^experimentId: expected the id of a saved experiment/],
      [{ experimentId, guid: 1, cols: 5000 }, /^cols: expected at most 1000/],
    ];
    for (const [query, reason] of cases) {
      const term = openTerminal(t.server.url, query);
      expect((await term.message("error")).message).toMatch(reason);
      expect((await term.closed).code).toBe(1008);
    }
  });

  it("a shell that cannot connect says why", async () => {
    const saved = await t.client.experiments.save.mutate({
      document: {
        format: "nepi-experiment@1",
        name: "bad key",
        resources: [
          {
            guid: 1,
            type: "linux::Node",
            attributes: { hostname: sshd.host, port: sshd.port, username: userInfo().username, identity: "/nonexistent/key" },
          },
        ],
      },
    });
    const term = openTerminal(t.server.url, { experimentId: saved.id, guid: 1 });
    expect((await term.message("exit")).reason).toMatch(/cannot read identity \/nonexistent\/key/);
    await term.closed;
  });

  it("refuses a page of another origin, like the API", async () => {
    const term = openTerminal(t.server.url, { experimentId, guid: 2 }, { Origin: "http://evil.example" });
    expect(await term.refused).toBe(403);
  });
});

describe("the terminal behind a token", () => {
  let guarded: TestServer;
  beforeAll(async () => {
    guarded = await startTestServer({ token: "s3cret-token" });
  });
  afterAll(async () => guarded?.stop());

  it("needs the token, like the API", async () => {
    const id = (
      await guarded.client.experiments.save.mutate({
        document: { format: "nepi-experiment@1", name: "local", resources: [{ guid: 1, type: "linux::Node", attributes: {} }] },
      })
    ).id;
    const without = openTerminal(guarded.server.url, { experimentId: id, guid: 1 });
    expect(await without.refused).toBe(401);
    const withToken = openTerminal(
      guarded.server.url,
      { experimentId: id, guid: 1 },
      { Origin: guarded.server.url.replace(/\/$/, ""), Authorization: "Bearer s3cret-token" },
    );
    await withToken.message("ready");
    withToken.ws.close();
    await withToken.closed;
  });
});
