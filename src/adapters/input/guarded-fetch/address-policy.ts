import ipaddr from 'ipaddr.js';

/** Cloud metadata endpoints, named so the error says what was refused. */
const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '169.254.170.2']);

/**
 * Why an address must not be fetched from, or null for a public unicast address. Refused:
 * loopback, private, link-local, unique-local, CGNAT, multicast, broadcast, unspecified, reserved
 * and documentation ranges, cloud metadata, and the IPv4-mapped, IPv4-compatible, NAT64 and 6to4
 * forms of any of those. IPv6 is accepted only from the global unicast block 2000::/3.
 */
export function blockedReason(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.parse(address);
  if (METADATA.has(parsed.toNormalizedString()) || METADATA.has(parsed.toString())) return 'cloud metadata';
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    const embedded = embeddedIPv4(v6);
    if (embedded) {
      const reason = blockedReason(embedded.toString());
      const form = v6.range() === 'unicast' ? 'ipv4Compatible' : v6.range();
      return reason ? `${form} form of a ${reason}` : null;
    }
    const range = v6.range();
    if (range !== 'unicast') return range;
    // Anything outside global unicast (2000::/3) is special-purpose or unassigned.
    if ((v6.parts[0]! & 0xe000) !== 0x2000) return 'reserved';
    return null;
  }
  const range = (parsed as ipaddr.IPv4).range();
  return range === 'unicast' ? null : range;
}

/** The IPv4 address carried inside an IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 address. */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = address.parts;
  const low = (hi: number, lo: number) => new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (address.isIPv4MappedAddress()) return address.toIPv4Address();
  const range = address.range();
  if (range === 'rfc6145' || range === 'rfc6052') return low(p[6]!, p[7]!);
  if (range === '6to4') return low(p[1]!, p[2]!);
  // IPv4-compatible ::a.b.c.d (deprecated, but some stacks still route it).
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) return low(p[6]!, p[7]!);
  return null;
}
