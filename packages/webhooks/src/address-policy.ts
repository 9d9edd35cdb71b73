import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/*
 * Addresses a webhook must not reach from inside the platform's network (SSRF): loopback,
 * link-local (cloud metadata lives at 169.254.169.254), private ranges, CGNAT, "this host",
 * multicast and reserved ranges. IPv4-mapped IPv6 (::ffff:a.b.c.d) is checked as the IPv4
 * address it maps to; BlockList does that for IPv4 rules.
 */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // :: itself, ::1 and the deprecated IPv4-compatible form
  ['64:ff9b::', 96], // NAT64: reaches whatever IPv4 address it embeds
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return internal.check(address, 'ipv4');
  if (family === 6) return internal.check(address, 'ipv6');
  return true;
}

export class RefusedAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_ADDRESS_REFUSED';
  constructor(readonly address: string) {
    super(`refused to connect to an internal address (${address})`);
    this.name = 'RefusedAddressError';
  }
}

/**
 * A `lookup` for node:http(s) that refuses internal addresses. The check runs on the address the
 * socket is about to connect to, so a name that resolved to a public address at subscription time
 * and to an internal one now (DNS rebinding) is still refused.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, options, (err, address, family) => {
    if (err) return callback(err, address as string, family);
    const all = Array.isArray(address) ? (address as LookupAddress[]) : undefined;
    const addresses = all ? all.map((a) => a.address) : [address as string];
    const refused = addresses.find(isInternalAddress);
    if (refused !== undefined) {
      return callback(new RefusedAddressError(refused) as NodeJS.ErrnoException, '', 4);
    }
    if (all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, all);
    return callback(null, address as string, family);
  });
};

/** Every address `hostname` resolves to (the literal itself for an IP address). */
export async function resolveAll(hostname: string): Promise<string[]> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) return [bare];
  return new Promise((resolve, reject) => {
    dnsLookup(bare, { all: true }, (err, addresses) => {
      if (err) reject(err);
      else resolve(addresses.map((a) => a.address));
    });
  });
}
