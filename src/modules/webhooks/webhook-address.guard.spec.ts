import { UnsafeWebhookTargetError, WebhookAddressGuard } from './webhook-address.guard';

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
  ])('refuses %s when nothing is allow-listed', async (url) => {
    await refuse(strict, url);
  });

  it('accepts a public address and pins it', async () => {
    await expect(strict.resolve(new URL('https://93.184.215.14/hook'))).resolves.toEqual({
      address: '93.184.215.14',
      family: 4,
    });
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
