/** IPv4 addresses as unsigned 32-bit numbers, and subnets as a base address plus a prefix length. */
export interface Subnet {
  base: number;
  prefix: number;
}

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as a number, or undefined when `text` is not a dotted IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const m = OCTETS.exec(text.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => (address >>> shift) & 255).join(".");
}

/** The number of addresses in a subnet of this prefix length. */
export function subnetSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Why `text` is not a subnet in CIDR notation (a network address and a prefix), or the subnet. */
export function parseSubnet(text: string): Subnet | string {
  const [addr, len, extra] = text.trim().split("/");
  const base = addr === undefined ? undefined : parseIpv4(addr);
  if (base === undefined || len === undefined || extra !== undefined || !/^\d{1,2}$/.test(len) || Number(len) > 32)
    return `"${text}" is not an IPv4 subnet in CIDR notation (like 10.0.3.0/24)`;
  const prefix = Number(len);
  const network = prefix === 0 ? 0 : (base & (~0 << (32 - prefix))) >>> 0;
  if (network !== base)
    return `"${text}" is not a network address: its host bits are set (did you mean ${formatSubnet({ base: network, prefix })}?)`;
  return { base, prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${formatIpv4(s.base)}/${s.prefix}`;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base < b.base + subnetSize(b.prefix) && b.base < a.base + subnetSize(a.prefix);
}

/** How many hosts a subnet can address: all but the network and broadcast addresses (a /31 has 2, RFC 3021). */
export function usableHosts(prefix: number): number {
  return prefix >= 31 ? subnetSize(prefix) : subnetSize(prefix) - 2;
}

/** The n-th (0-based) host address of a subnet. */
export function hostAddress(s: Subnet, n: number): number {
  return s.base + (s.prefix >= 31 ? n : n + 1);
}

/** Whether `address` is in `s`. */
export function contains(s: Subnet, address: number): boolean {
  return address >= s.base && address < s.base + subnetSize(s.prefix);
}
