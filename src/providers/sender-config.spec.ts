import { configFieldProblem } from './sender-config';

describe('configFieldProblem', () => {
  it('requires required fields and lets optional ones be absent', () => {
    expect(configFieldProblem('host', { kind: 'text', required: true }, undefined)).toBe(
      'config.host is required',
    );
    expect(configFieldProblem('host', { kind: 'text', required: true }, '')).toBe(
      'config.host is required',
    );
    expect(configFieldProblem('from_name', { kind: 'text' }, undefined)).toBeUndefined();
  });

  it.each([
    ['port', { kind: 'port' as const }, 587, undefined],
    ['port', { kind: 'port' as const }, '587', 'config.port must be a TCP port (1-65535)'],
    ['port', { kind: 'port' as const }, 70000, 'config.port must be a TCP port (1-65535)'],
    ['url', { kind: 'url' as const }, 'https://graph.facebook.com/v23.0', undefined],
    ['url', { kind: 'url' as const }, 'ftp://example.com', 'config.url must be an http(s) URL'],
    ['from_address', { kind: 'email' as const }, 'a@example.com', undefined],
    [
      'from_address',
      { kind: 'email' as const },
      'nobody',
      'config.from_address must be an email address',
    ],
    [
      'inbound_addresses',
      { kind: 'emails' as const },
      [],
      'config.inbound_addresses must be a non-empty list of email addresses',
    ],
    [
      'inbound_addresses',
      { kind: 'emails' as const },
      ['a@example.com', 7],
      'config.inbound_addresses must be a non-empty list of email addresses',
    ],
    [
      'encryption',
      { kind: 'choice' as const, choices: ['tls', 'none'] },
      'ssl',
      'config.encryption must be one of tls, none',
    ],
    [
      'name',
      { kind: 'text' as const },
      42,
      'config.name must be a string (at most 4096 characters)',
    ],
    [
      'name',
      { kind: 'text' as const },
      'x'.repeat(4097),
      'config.name must be a string (at most 4096 characters)',
    ],
  ])('%s %j ← %j: %s', (name, field, value, expected) => {
    expect(configFieldProblem(name, field, value)).toBe(expected);
  });
});
