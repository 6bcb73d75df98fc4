import { classifySmtpError, maskEmailAddresses } from './smtp-errors';

const smtpError = (fields: { code?: string; responseCode?: number; message?: string }) =>
  Object.assign(new Error(fields.message ?? 'SMTP failure'), fields);

describe('classifySmtpError', () => {
  it.each([421, 450, 451, 452])('reply %i is transient', (responseCode) => {
    expect(
      classifySmtpError(smtpError({ code: 'EENVELOPE', responseCode, message: 'Try later' })),
    ).toMatchObject({ kind: 'transient', providerCode: responseCode });
  });

  it.each([550, 551, 552, 553, 554])('reply %i is permanent', (responseCode) => {
    expect(
      classifySmtpError(smtpError({ code: 'EMESSAGE', responseCode, message: 'Rejected' })),
    ).toMatchObject({ kind: 'permanent', providerCode: responseCode });
  });

  it.each(['ECONNREFUSED', 'ETIMEDOUT', 'ESOCKET', 'ECONNECTION', 'EDNS', 'ETLS', 'EPROTOCOL'])(
    'connection error %s is transient',
    (code) => {
      expect(classifySmtpError(smtpError({ code }))).toMatchObject({
        kind: 'transient',
        providerCode: code,
      });
    },
  );

  it.each(['EAUTH', 'ENOAUTH', 'EENVELOPE'])('%s without a reply code is permanent', (code) => {
    expect(classifySmtpError(smtpError({ code }))).toMatchObject({
      kind: 'permanent',
      providerCode: code,
    });
  });

  it('decides on the reply code before the error code', () => {
    expect(classifySmtpError(smtpError({ code: 'EAUTH', responseCode: 454 })).kind).toBe(
      'transient',
    );
  });

  it('treats an error it cannot read as transient', () => {
    expect(classifySmtpError(new Error('Send mail timed out after 10000ms'))).toMatchObject({
      kind: 'transient',
      message: 'smtp error: Send mail timed out after 10000ms',
    });
    expect(classifySmtpError('boom').kind).toBe('transient');
  });

  it('writes the code and masks the addresses the server echoes', () => {
    const error = classifySmtpError(
      smtpError({
        code: 'EENVELOPE',
        responseCode: 550,
        message:
          "Can't send mail - all recipients were rejected: 550 5.1.1 <jane.doe@example.com>: " +
          'Recipient address rejected',
      }),
    );
    expect(error.message).toBe(
      "smtp error 550: Can't send mail - all recipients were rejected: 550 5.1.1 " +
        '<j***@example.com>: Recipient address rejected',
    );
  });
});

describe('maskEmailAddresses', () => {
  it.each([
    ['jane.doe@example.com', 'j***@example.com'],
    ['x@localhost', 'x***@localhost'],
    [
      'to a+tag@mail.example.org and b@example.net',
      'to a***@mail.example.org and b***@example.net',
    ],
    ['no address here', 'no address here'],
  ])('%s → %s', (text, masked) => {
    expect(maskEmailAddresses(text)).toBe(masked);
  });
});
