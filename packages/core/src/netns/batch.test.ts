import { describe, expect, it } from "vitest";
import { buildNetworkScript, removeNetworkScript } from "./batch.js";
import { planTopology, type TopologyInput } from "./plan.js";

function star(n: number): TopologyInput {
  return {
    tag: "t",
    endpoints: [
      { guid: 1, kind: "switch", machine: "local", forwarding: false },
      ...Array.from({ length: n }, (_, i) => ({ guid: 2 + i, kind: "host" as const, machine: "local", forwarding: i === 0 })),
    ],
    links: Array.from({ length: n }, (_, i) => ({ guid: 5000 + i, ends: [1, 2 + i] as [number, number] })),
  };
}

describe("the build script of a machine", () => {
  const script = buildNetworkScript(planTopology(star(2)), "local");
  it("makes the namespaces and veth pairs in one ip -batch, straight into their namespaces", () => {
    expect(script).toContain("netns add nepi-t-h2\nnetns add nepi-t-h3\nnetns add nepi-t-s1\n");
    expect(script).toContain("link add p5000 netns nepi-t-s1 type veth peer name eth0 netns nepi-t-h2\n");
    expect(script.match(/^ip -batch /gm)).toHaveLength(1);
  });
  it("gives each namespace one batch: the bridge and its ports, or addresses and links up", () => {
    expect(script).toContain(
      "cat > \"$d/ns/nepi-t-s1\" <<'NEPI_EOF'\nlink set lo up\nlink add br0 type bridge\nlink set br0 up\nlink set p5000 master br0 up\nlink set p5001 master br0 up\nNEPI_EOF",
    );
    expect(script).toContain(
      "cat > \"$d/ns/nepi-t-h3\" <<'NEPI_EOF'\nlink set lo up\naddr add 10.100.0.2/24 dev eth0\nlink set eth0 up\nNEPI_EOF",
    );
    expect(script).toContain('(cd "$d/ns" && ls | xargs -P 4 -I{} ip -n {} -batch {})');
  });
  it("turns forwarding on in routers only", () => {
    expect(script).toContain("nsenter --net=/run/netns/nepi-t-h2 sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'");
    expect(script).not.toContain("nsenter --net=/run/netns/nepi-t-h3");
  });
  it("raises the machine's neighbour-table limits for big networks, never lowers them", () => {
    const big = buildNetworkScript(planTopology(star(1000)), "local");
    expect(big).toContain(
      '[ ! -w /proc/sys/net/ipv4/neigh/default/gc_thresh3 ] || [ "$(cat /proc/sys/net/ipv4/neigh/default/gc_thresh3)" -ge 5024 ] || echo 5024 > /proc/sys/net/ipv4/neigh/default/gc_thresh3',
    );
    expect(big).toContain(
      '[ ! -w /proc/sys/net/core/netdev_max_backlog ] || [ "$(cat /proc/sys/net/core/netdev_max_backlog)" -ge 20000 ] || echo 20000 > /proc/sys/net/core/netdev_max_backlog',
    );
    // On a crowded segment hosts ask for a neighbour longer before giving up.
    expect(big).toContain("ntable change name arp_cache dev eth0 mcast_probes 20");
    expect(script).not.toContain("ntable");
  });
  it("builds only this machine's part", () => {
    const input = star(2);
    input.endpoints[2] = { ...input.endpoints[2]!, machine: "9" };
    const plan = planTopology({ ...input, underlay: { local: "192.0.2.1", "9": "192.0.2.2" } });
    const local = buildNetworkScript(plan, "local");
    expect(local).not.toContain("netns add nepi-t-h3");
    expect(local).toMatch(/link add p5001 netns nepi-t-s1 type vxlan id \d+ local 192\.0\.2\.1 remote 192\.0\.2\.2 dstport 4789/);
    expect(local).toContain("link set p5001 mtu 1450 master br0 up");
    const remote = buildNetworkScript(plan, "9");
    expect(remote).toMatch(/link add eth0 netns nepi-t-h3 type vxlan id \d+ local 192\.0\.2\.2 remote 192\.0\.2\.1 dstport 4789/);
    expect(remote).toContain("link set eth0 mtu 1450 up");
  });
});

describe("the removal script", () => {
  it("finds the run's namespaces by the tag alone", () => {
    expect(removeNetworkScript("t")).toContain("set -- nepi-t-*");
  });
});
