// GINKO_TRUSTED_PROXIES: the front proxies allowed to pass on a client certificate (RFC 9440), as a
// comma-separated list of IP addresses and CIDR blocks.
import { BlockList, isIP } from 'node:net';

/** More entries than this is a misconfiguration (proxies are a handful of addresses or subnets). */
const TRUSTED_PROXY_ENTRIES_MAX = 64;

/** Parses the list; returns a message for the first bad entry instead of a list. */
export function parseTrustedProxies(text: string): BlockList | string {
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length > TRUSTED_PROXY_ENTRIES_MAX) return `at most ${TRUSTED_PROXY_ENTRIES_MAX} entries`;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefixText, extra] = entry.split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      return `"${entry}" is not an IP address or CIDR block (e.g. 10.0.0.5, 10.0.0.0/24, fd00::/8)`;
    }
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
}

/** Whether the peer address is a trusted proxy; an IPv4-mapped IPv6 peer counts as its IPv4 address. */
export function isTrustedProxy(list: BlockList, peerAddress: string | undefined): boolean {
  if (peerAddress === undefined) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peerAddress)?.[1];
  const address = mapped ?? peerAddress;
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}
