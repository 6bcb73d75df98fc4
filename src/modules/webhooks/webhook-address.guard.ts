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

/** Ranges no endpoint may resolve to (RFC 6890 special-purpose blocks, cloud metadata included). */
const BLOCKED_V4: Array<[string, number]> = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT; Alibaba's metadata service is 100.100.100.200
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, where AWS, GCP and Azure serve metadata (169.254.169.254)
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: Array<[string, number]> = [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['fc00::', 7], // unique local, AWS's IPv6 metadata fd00:ec2::254 included
  ['fe80::', 10],
  ['ff00::', 8],
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

  constructor(allowList: string[]) {
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

  /** The address to connect to for `url`; throws UnsafeWebhookTargetError when there is none. */
  async resolve(url: URL): Promise<PinnedAddress> {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    let addresses: PinnedAddress[];
    if (isIP(host)) {
      addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
    } else {
      try {
        addresses = (await lookup(host, { all: true, verbatim: true })) as PinnedAddress[];
      } catch (error) {
        throw new UnsafeWebhookTargetError(
          `${host} does not resolve (${(error as { code?: string }).code ?? 'DNS error'})`,
        );
      }
    }
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

  /** BlockList matches IPv4-mapped IPv6 (::ffff:a.b.c.d) against the IPv4 rules too. */
  private isAllowed({ address, family }: PinnedAddress): boolean {
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return this.allowedRanges.check(address, type) || !this.blocked.check(address, type);
  }
}
