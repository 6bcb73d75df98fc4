import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** An endpoint URL whose host must not be called: private, loopback, link-local, metadata. */
export class UnsafeWebhookTargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeWebhookTargetError';
  }
}

export interface PinnedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a host name stands for; the system resolver unless one is given. */
export type HostLookup = (host: string) => Promise<PinnedAddress[]>;

/**
 * How long a host name may take to resolve. The dispatcher's lease covers this lookup on top of
 * the request timeout: a lookup that outlasted the lease would let a second worker send the
 * same delivery.
 */
export const DNS_LOOKUP_TIMEOUT_MS = 2_000;

const systemLookup: HostLookup = async (host) =>
  (await lookup(host, { all: true, verbatim: true })) as PinnedAddress[];

/** Ranges no endpoint may resolve to (the IANA special-purpose registries, metadata included). */
const BLOCKED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT; Alibaba's metadata service is 100.100.100.200
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, where AWS, GCP and Azure serve metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: Array<[string, number]> = [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments, Teredo included
  ['2001:db8::', 32],
  ['fc00::', 7], // unique local, AWS's IPv6 metadata fd00:ec2::254 included
  ['fe80::', 10],
  ['fec0::', 10], // site-local: deprecated, still routed inside some networks
  ['ff00::', 8],
];

/**
 * IPv6 forms that reach an IPv4 host, and the 16-bit word where its address starts: such an
 * address is as public as the IPv4 address it carries.
 */
const IPV4_CARRIERS: Array<[network: string, prefix: number, firstWord: number]> = [
  ['::ffff:0:0', 96, 6], // IPv4-mapped
  ['::ffff:0:0:0', 96, 6], // IPv4-translated (SIIT)
  ['64:ff9b::', 96, 6], // NAT64, what DNS64 answers for an IPv4-only host
  ['2002::', 16, 1], // 6to4
];

/**
 * Decides which addresses an outgoing webhook may connect to, and resolves a URL's host to one it
 * may: the caller connects to that very address (pinning), so a DNS answer that changes between
 * the check and the connect cannot reach an internal service.
 */
export class WebhookAddressGuard {
  private readonly blocked = new BlockList();
  private readonly allowedRanges = new BlockList();
  private readonly allowedHosts = new Set<string>();
  private readonly carriers = IPV4_CARRIERS.map(([network, prefix, firstWord]) => {
    const range = new BlockList();
    range.addSubnet(network, prefix, 'ipv6');
    return { range, firstWord };
  });

  constructor(
    allowList: string[],
    private readonly lookupHost: HostLookup = systemLookup,
    private readonly lookupTimeoutMs = DNS_LOOKUP_TIMEOUT_MS,
  ) {
    for (const [network, prefix] of BLOCKED_V4) this.blocked.addSubnet(network, prefix, 'ipv4');
    for (const [network, prefix] of BLOCKED_V6) this.blocked.addSubnet(network, prefix, 'ipv6');
    for (const entry of allowList) {
      const [address, prefix] = entry.split('/');
      const family = isIP(address);
      if (family === 0) {
        this.allowedHosts.add(entry);
      } else {
        const type = family === 4 ? 'ipv4' : 'ipv6';
        this.allowedRanges.addSubnet(address, Number(prefix ?? (family === 4 ? 32 : 128)), type);
      }
    }
  }

  /**
   * The address to connect to for `url`; throws UnsafeWebhookTargetError when there is none,
   * also when the name does not resolve in time (the try then fails and is retried).
   */
  async resolve(url: URL): Promise<PinnedAddress> {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    const addresses: PinnedAddress[] = isIP(host)
      ? [{ address: host, family: isIP(host) as 4 | 6 }]
      : await this.lookup(host);
    if (addresses.length === 0) throw new UnsafeWebhookTargetError(`${host} does not resolve`);
    if (!this.allowedHosts.has(host)) {
      // Every answer must be public: the connection could otherwise pick a private one.
      const refused = addresses.find((candidate) => !this.isAllowed(candidate));
      if (refused) {
        throw new UnsafeWebhookTargetError(
          `${host} resolves to ${refused.address}, a private, loopback, link-local or metadata ` +
            'address (allow it with EVENT_WEBHOOK_ALLOWED_HOSTS)',
        );
      }
    }
    return addresses[0];
  }

  private async lookup(host: string): Promise<PinnedAddress[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new UnsafeWebhookTargetError(
              `${host} did not resolve within ${this.lookupTimeoutMs} ms`,
            ),
          ),
        this.lookupTimeoutMs,
      );
    });
    try {
      return await Promise.race([this.lookupHost(host), timeout]);
    } catch (error) {
      if (error instanceof UnsafeWebhookTargetError) throw error;
      throw new UnsafeWebhookTargetError(
        `${host} does not resolve (${(error as { code?: string }).code ?? 'DNS error'})`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private isAllowed({ address, family }: PinnedAddress): boolean {
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (this.allowedRanges.check(address, type)) return true;
    if (this.blocked.check(address, type)) return false;
    const carried = family === 6 ? this.carriedIpv4(address) : undefined;
    return carried === undefined || this.isAllowed({ address: carried, family: 4 });
  }

  /** The IPv4 address inside an IPv4-mapped, NAT64 or 6to4 address. */
  private carriedIpv4(address: string): string | undefined {
    const carrier = this.carriers.find(({ range }) => range.check(address, 'ipv6'));
    if (!carrier) return undefined;
    const words = ipv6Words(address).slice(carrier.firstWord, carrier.firstWord + 2);
    return words.flatMap((word) => [word >> 8, word & 0xff]).join('.');
  }
}

/** The eight 16-bit words of a valid IPv6 address, a trailing dotted IPv4 part included. */
function ipv6Words(address: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const hex = dotted
    ? address.slice(0, dotted.index) +
      [0, 2]
        .map((at) => ((Number(dotted[at + 1]) << 8) | Number(dotted[at + 2])).toString(16))
        .join(':')
    : address;
  const [head, tail] = hex.split('::');
  const parse = (part?: string) => (part ? part.split(':').map((word) => parseInt(word, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - front.length - back.length).fill(0);
  return [...front, ...zeros, ...back];
}
