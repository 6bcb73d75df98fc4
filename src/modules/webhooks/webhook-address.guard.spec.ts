import {
  HostLookup,
  PinnedAddress,
  UnsafeWebhookTargetError,
  WebhookAddressGuard,
} from './webhook-address.guard';

const refuse = (guard: WebhookAddressGuard, url: string) =>
  expect(guard.resolve(new URL(url))).rejects.toBeInstanceOf(UnsafeWebhookTargetError);

describe('WebhookAddressGuard', () => {
  const strict = new WebhookAddressGuard([]);

  it.each([
    'http://10.0.0.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]:8080/hook',
    'http://localhost:3000/hook',
    'http://127.0.0.1/hook',
    'http://192.168.1.10/hook',
    'http://172.16.5.4/hook',
    'http://100.100.100.200/hook',
    'http://0.0.0.0/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:a9fe:a9fe]/hook',
    'http://[fd00:ec2::254]/hook',
    'http://[fe80::1]/hook',
    'http://[::127.0.0.1]/hook',
    'http://[::10.0.0.1]/hook',
    'http://[::a9fe:a9fe]/hook',
    'http://[::8.8.8.8]/hook',
    'http://[::ffff:10.1.2.3]/hook',
    'http://[::ffff:0:127.0.0.1]/hook',
    'http://[64:ff9b::127.0.0.1]/hook',
    'http://[64:ff9b::a9fe:a9fe]/hook',
    'http://[64:ff9b:1::8.8.8.8]/hook',
    'http://[2002:7f00:1::1]/hook',
    'http://[2002:c0a8:101::]/hook',
    'http://[fec0::1]/hook',
    'http://[feff:ffff::1]/hook',
    'http://[2001:db8::1]/hook',
    'http://[2001:0:4136:e378::1]/hook',
    'http://[100::1]/hook',
    'http://192.0.2.10/hook',
  ])('refuses %s when nothing is allow-listed', async (url) => {
    await refuse(strict, url);
  });

  it('accepts a public address and pins it', async () => {
    await expect(strict.resolve(new URL('https://93.184.215.14/hook'))).resolves.toEqual({
      address: '93.184.215.14',
      family: 4,
    });
  });

  it.each([
    ['::ffff:808:808', 6],
    ['::ffff:0:808:808', 6],
    ['64:ff9b::808:808', 6],
    ['2002:808:808::1', 6],
    ['2606:4700::1111', 6],
  ])('accepts %s, which reaches a public IPv4 or is public itself', async (address, family) => {
    await expect(strict.resolve(new URL(`https://[${address}]/hook`))).resolves.toEqual({
      address,
      family,
    });
  });

  it('checks every address a name resolves to, in any of these forms', async () => {
    const answers: PinnedAddress[] = [{ address: '2606:4700::1111', family: 6 }];
    const guard = new WebhookAddressGuard([], async () => answers);
    await expect(guard.resolve(new URL('https://hooks.example.com/x'))).resolves.toEqual(
      answers[0],
    );
    answers.push({ address: '64:ff9b::a00:1', family: 6 });
    await refuse(guard, 'https://hooks.example.com/x');
  });

  it('gives up on a lookup that does not answer in time', async () => {
    const lookups: string[] = [];
    const silent: HostLookup = (host) => {
      lookups.push(host);
      return new Promise(() => undefined);
    };
    const guard = new WebhookAddressGuard([], silent, 50);
    const started = Date.now();
    await expect(guard.resolve(new URL('https://hooks.example.com/x'))).rejects.toThrow(
      new UnsafeWebhookTargetError('hooks.example.com did not resolve within 50 ms'),
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lookups).toEqual(['hooks.example.com']);
  });

  it('refuses a name that does not resolve', async () => {
    await refuse(strict, 'https://no-such-host.invalid/hook');
  });

  it('lets through allow-listed addresses, CIDRs and host names only', async () => {
    const guard = new WebhookAddressGuard(['127.0.0.1', '10.1.0.0/16', 'localhost']);
    await expect(guard.resolve(new URL('http://127.0.0.1:9/x'))).resolves.toMatchObject({
      address: '127.0.0.1',
    });
    await expect(guard.resolve(new URL('http://10.1.2.3/x'))).resolves.toMatchObject({
      address: '10.1.2.3',
    });
    await expect(guard.resolve(new URL('http://localhost/x'))).resolves.toBeDefined();
    await refuse(guard, 'http://10.2.0.1/x');
    await refuse(guard, 'http://127.0.0.2/x');
    await refuse(guard, 'http://169.254.169.254/x');
  });
});
