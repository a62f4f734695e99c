import { isIPv6 } from 'node:net';

/**
 * The client's address for the sign-in limits. Without trusted proxies, the socket's peer (what
 * `@hono/node-server` passes as `c.env.incoming.socket.remoteAddress`). Behind `trustedHops`
 * proxies that each append to `X-Forwarded-For`, the right-most entry no trusted proxy wrote:
 * the `trustedHops`-th from the right (entries further left are what the client sent, and can say
 * anything); with fewer entries than that, the socket's peer. IPv4-mapped IPv6 becomes IPv4, and
 * IPv6 is cut to its /64 (one host usually holds a whole /64). 'unknown' when there is none.
 */
export function clientAddress(socketAddress: string | undefined, forwardedFor: string | undefined, trustedHops: number): string {
  let address = socketAddress;
  if (trustedHops > 0 && forwardedFor) {
    const hops = forwardedFor
      .split(',')
      .map((hop) => hop.trim())
      .filter(Boolean);
    if (hops.length >= trustedHops) address = hops[hops.length - trustedHops];
  }
  return address ? normalize(address) : 'unknown';
}

function normalize(address: string): string {
  const bare = address.replace(/^\[|\](:\d+)?$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (!isIPv6(bare)) return bare;
  const [head = '', tail = ''] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = bare.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
