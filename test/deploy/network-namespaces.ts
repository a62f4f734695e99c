import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** The private /24 the test assigns its addresses in; it touches no other address. */
export const SUBNET = '10.231.7';

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/**
 * Why network namespaces cannot be made here (not root, no `ip`, no permission, the subnet already
 * in use), or null when they can: a namespace is made and removed to find out.
 */
export function namespacesUnavailable(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root (ip netns needs CAP_SYS_ADMIN)';
  try {
    ip('-V');
  } catch {
    return 'the ip command (iproute2) is not installed';
  }
  if (ip('-4', 'addr', 'show').includes(` ${SUBNET}.`)) return `${SUBNET}.0/24 is already assigned on this machine`;
  const probe = `igk-probe-${process.pid}`;
  try {
    ip('netns', 'add', probe);
  } catch (error) {
    return `ip netns add failed: ${(error as { stderr?: Buffer }).stderr?.toString().trim() || String(error)}`;
  }
  ip('netns', 'del', probe);
  return null;
}

/** One simulated host: a namespace joined to this one by a veth pair, a /30 of {@link SUBNET}. */
export interface NamespaceHost {
  name: string;
  namespace: string;
  /** The host's own address, inside its namespace. */
  address: string;
  /** The address of this (the test's) side of the veth link, where the host reaches the servers. */
  gateway: string;
}

/**
 * Makes `names.length` hosts: host i gets the namespace `igk-{tag}-{name}` and the link
 * `{SUBNET}.{4i}/30` (this side `.4i+1`, the host `.4i+2`). `remove()` deletes the namespaces,
 * which deletes both ends of their veth pairs; it is safe to call after a partial setup.
 */
export function createNamespaceHosts(names: string[]) {
  const tag = randomBytes(2).toString('hex');
  const hosts: NamespaceHost[] = [];
  const remove = () => {
    for (const host of hosts) {
      try {
        ip('netns', 'del', host.namespace);
      } catch {}
      try {
        ip('link', 'del', `igk${tag}h${hosts.indexOf(host)}`); // only if the namespace was never made
      } catch {}
    }
  };
  try {
    names.forEach((name, i) => {
      const host: NamespaceHost = {
        name,
        namespace: `igk-${tag}-${name}`,
        address: `${SUBNET}.${4 * i + 2}`,
        gateway: `${SUBNET}.${4 * i + 1}`,
      };
      hosts.push(host);
      const outside = `igk${tag}h${i}`;
      const inside = `igk${tag}n${i}`;
      ip('netns', 'add', host.namespace);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      ip('link', 'set', inside, 'netns', host.namespace);
      ip('addr', 'add', `${host.gateway}/30`, 'dev', outside);
      ip('link', 'set', outside, 'up');
      const inNs = (...args: string[]) => ip('netns', 'exec', host.namespace, 'ip', ...args);
      inNs('addr', 'add', `${host.address}/30`, 'dev', inside);
      inNs('link', 'set', inside, 'up');
      inNs('link', 'set', 'lo', 'up');
    });
  } catch (error) {
    remove();
    throw error;
  }
  return {
    hosts,
    remove,
    /** Namespaces of this run still present (none after `remove()`). */
    leftovers: () =>
      ip('netns', 'list')
        .split('\n')
        .filter((line) => line.startsWith(`igk-${tag}-`)),
  };
}
