import { execFileSync, spawnSync } from "node:child_process";
import { userInfo } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSshd, type PrivateSshd } from "../../src/bench/sshd.js";
import {
  SshTransport,
  addressOf,
  buildNetworkScript,
  listNetworkScript,
  planTopology,
  removeNetworkScript,
  type TopologyPlan,
} from "../../src/node.js";

/**
 * Two machines: this one, and a network namespace with its own sshd (reached over a veth pair),
 * as a second machine on the same network would be. A link between a namespace host on each is
 * a VXLAN tunnel over the two machines' addresses.
 */
const id = process.pid % 250;
const machineNs = `vxm${process.pid}`;
const uplink = `vxm${process.pid}r`;
const [here, there] = [`10.254.${id}.1`, `10.254.${id}.2`];
const tag = `x${process.pid}`;
const sh = (script: string) => execFileSync("sh", ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const root = process.getuid?.() === 0;

describe("a link between namespace hosts on two machines is a VXLAN tunnel", () => {
  if (!root) {
    it("needs root: network namespaces (npm test runs as root, as CI does)", () => expect.fail("not root"));
    return;
  }
  let sshd: PrivateSshd;
  let machine: SshTransport;
  let plan: TopologyPlan;
  beforeAll(async () => {
    sh(
      [
        `ip netns add ${machineNs}`,
        `ip link add ${uplink} type veth peer name eth0 netns ${machineNs}`,
        `ip addr add ${here}/30 dev ${uplink}`,
        `ip link set ${uplink} up`,
        `ip -n ${machineNs} addr add ${there}/30 dev eth0`,
        `ip -n ${machineNs} link set eth0 up`,
        `ip -n ${machineNs} link set lo up`,
      ].join(" && "),
    );
    sshd = await startSshd({ netns: machineNs, host: there });
    machine = new SshTransport({
      host: there,
      port: sshd.port,
      username: userInfo().username,
      identity: sshd.identity,
      knownHosts: sshd.knownHosts,
      strictHostKeyChecking: "yes",
    });
    await machine.connect();
    plan = planTopology({
      tag,
      endpoints: [
        { guid: 1, label: "a", kind: "host", machine: "local", forwarding: false },
        { guid: 2, label: "b", kind: "host", machine: "7", forwarding: false },
      ],
      links: [{ guid: 3, ends: [1, 2] }],
      underlay: { local: here, "7": there },
    });
  });
  afterAll(async () => {
    spawnSync("sh", ["-c", removeNetworkScript(tag)]);
    await machine?.exec(removeNetworkScript(tag)).catch(() => undefined);
    await machine?.close();
    await sshd?.stop();
    spawnSync("sh", ["-c", `ip link del ${uplink}; ip netns del ${machineNs}`]);
  });

  it("carries a namespace host's ping across, and both machines' parts are removed by the tag", async () => {
    expect(plan.links[3]!.kind).toBe("vxlan");
    sh(buildNetworkScript(plan, "local"));
    // The namespace machine's part is made through its sshd's session, where its namespaces live.
    const built = await machine.exec(buildNetworkScript(plan, "7"));
    expect(built.stderr).toBe("");
    expect(built.code).toBe(0);
    expect(sh(`ip -n ${plan.hosts[1]!.namespace} -d link show eth0`)).toMatch(
      new RegExp(`vxlan id ${plan.links[3]!.vxlan!.vni} remote ${there} local ${here} .*dstport 4789`),
    );

    const toB = spawnSync(
      "ip",
      ["netns", "exec", plan.hosts[1]!.namespace, "ping", "-n", "-c", "2", "-w", "10", addressOf(plan, 2, 1)!],
      {
        encoding: "utf8",
      },
    );
    expect(toB.stdout).toMatch(/2 received/);
    // And back, from the namespace host on the other machine.
    const toA = await machine.exec(`ip netns exec ${plan.hosts[2]!.namespace} ping -n -c 1 -w 10 ${addressOf(plan, 1, 2)}`);
    expect(toA.stdout).toMatch(/1 received/);

    sh(removeNetworkScript(tag));
    expect((await machine.exec(removeNetworkScript(tag))).code).toBe(0);
    expect(sh(listNetworkScript(tag))).toBe("");
    expect((await machine.exec(listNetworkScript(tag))).stdout).toBe("");
  });
});
