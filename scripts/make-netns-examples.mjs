#!/usr/bin/env node
// Writes the network examples (examples/netns-*.json): documents that build their own network
// of namespace hosts, switches and shaped links on this machine. Run after
// `npm run build -w @nepi/core`: node scripts/make-netns-examples.mjs
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { generateTopology, validateDocument } from "@nepi/core";

const examples = fileURLToPath(new URL("../examples/", import.meta.url));

/** A small builder: resources in guid order, a link is a resource connected to its two ends. */
function design() {
  const resources = [];
  const connections = [];
  const add = (type, label, attributes, x, y, traces = []) => {
    const guid = resources.length + 1;
    resources.push({ guid, type, label, attributes, traces, position: { x, y } });
    return guid;
  };
  const link = (a, b, label, attributes = {}) => {
    const pa = resources[a - 1].position;
    const pb = resources[b - 1].position;
    const guid = add("netns::Link", label, attributes, (pa.x + pb.x) / 2, (pa.y + pb.y) / 2, ["counters"]);
    connections.push({ source: guid, target: a }, { source: guid, target: b });
    return guid;
  };
  const on = (host, app) => connections.push({ source: app, target: host });
  return { resources, connections, add, link, on };
}

function write(file, doc) {
  const problems = validateDocument(doc).filter((p) => p.severity !== "warning");
  if (problems.length) throw new Error(`${file}: ${JSON.stringify(problems, null, 2)}`);
  writeFileSync(examples + file, JSON.stringify(doc, null, 2) + "\n");
  console.log(`wrote examples/${file} (${doc.resources.length} resources)`);
}

// A dumbbell: two senders and two receivers behind two routers joined by one shaped bottleneck.
{
  const d = design();
  const s1 = d.add("netns::Node", "s1", {}, 0, 0);
  const s2 = d.add("netns::Node", "s2", {}, 0, 400);
  const swL = d.add("netns::Switch", "left-switch", {}, 250, 200);
  const left = d.add("netns::Node", "left", { forwarding: true }, 500, 200);
  const right = d.add("netns::Node", "right", { forwarding: true }, 900, 200);
  const swR = d.add("netns::Switch", "right-switch", {}, 1150, 200);
  const r1 = d.add("netns::Node", "r1", {}, 1400, 0);
  const r2 = d.add("netns::Node", "r2", {}, 1400, 400);
  d.link(s1, swL, "s1-up");
  d.link(s2, swL, "s2-up");
  d.link(left, swL, "left-lan");
  d.link(left, right, "bottleneck", { rate: "10mbit", loss: 1 });
  d.link(right, swR, "right-lan");
  d.link(r1, swR, "r1-up");
  d.link(r2, swR, "r2-up");
  const servers = [r1, r2].map((r, i) =>
    d.add("linux::Iperf3", `server ${i + 1}`, { role: "server" }, 1650, 400 * i, ["stdout"]),
  );
  const clients = [s1, s2].map((s, i) =>
    d.add("linux::Iperf3", `client ${i + 1}`, { role: "client", duration: "10s" }, -300, 400 * i, ["stdout"]),
  );
  [r1, r2].forEach((r, i) => d.on(r, servers[i]));
  [s1, s2].forEach((s, i) => d.on(s, clients[i]));
  clients.forEach((c, i) => d.connections.push({ source: c, target: servers[i] }));
  const ping = d.add("linux::Ping", "ping r1", { target: "${ip:r1}", count: 10, interval: 0.5 }, -300, 800, ["stdout"]);
  d.on(s1, ping);
  write("netns-dumbbell.json", {
    format: "nepi-experiment@1",
    name: "netns-dumbbell",
    description:
      "Two senders and two receivers in network namespaces on this machine, behind two routers joined by a 10 Mbit/s bottleneck with 1 % loss: both iperf3 flows share it. Needs root. Where the kernel has netem, add a delay to the bottleneck.",
    resources: d.resources,
    connections: d.connections,
    conditions: [{ group: clients, action: "START", after: servers, state: "STARTED" }],
  });
}

// A 3-hop chain h1 — r1 — r2 — h2 whose middle link goes down 5 s into the ping and up again at 10 s.
{
  const d = design();
  const h1 = d.add("netns::Node", "h1", {}, 0, 0);
  const r1 = d.add("netns::Node", "r1", { forwarding: true }, 400, 0);
  const r2 = d.add("netns::Node", "r2", { forwarding: true }, 800, 0);
  const h2 = d.add("netns::Node", "h2", {}, 1200, 0);
  d.link(h1, r1, "a");
  const middle = d.link(r1, r2, "middle", { rate: "20mbit" });
  d.link(r2, h2, "b");
  const ping = d.add("linux::Ping", "ping h2", { target: "${ip:h2}", count: 30, interval: 0.5 }, 0, 300, ["stdout"]);
  d.on(h1, ping);
  const traceroute = d.add("linux::Traceroute", "traceroute h2", { target: "${ip:h2}" }, 400, 300, ["stdout"]);
  d.on(h1, traceroute);
  write("netns-chain-flap.json", {
    format: "nepi-experiment@1",
    name: "netns-chain-flap",
    description:
      "A 3-hop chain of network namespaces (two routers) on this machine; the middle link flaps: down 5 s after the ping started, up again at 10 s — the ping's replies stop and resume. Needs root.",
    resources: d.resources,
    connections: d.connections,
    conditions: [],
    attributeConditions: [
      { group: [middle], attribute: "up", value: false, after: [ping], state: "STARTED", delay: "5s" },
      { group: [middle], attribute: "up", value: true, after: [ping], state: "STARTED", delay: "10s" },
    ],
  });
}

// A star of 100 hosts on one switch, each pinging the hub (h1) once.
{
  const star = generateTopology({ kind: "star", hosts: 100 }, { firstGuid: 1 });
  const hub = star.resources.find((r) => r.label === "h1");
  const hosts = star.resources.filter((r) => r.type === "netns::Node" && r !== hub);
  let guid = Math.max(...star.resources.map((r) => r.guid));
  const pings = hosts.map((h) => ({
    guid: ++guid,
    type: "linux::Ping",
    label: `ping from ${h.label}`,
    attributes: { target: "${ip:h1}", count: 1 },
    traces: ["stdout"],
    position: { x: h.position.x + 60, y: h.position.y + 60 },
  }));
  write("netns-star-100.json", {
    format: "nepi-experiment@1",
    name: "netns-star-100",
    description:
      "100 hosts in network namespaces on one switch on this machine; each of the 99 others pings the hub h1 once. Needs root.",
    resources: [...star.resources, ...pings],
    connections: [...star.connections, ...pings.map((p, i) => ({ source: p.guid, target: hosts[i].guid }))],
    conditions: [],
  });
}
