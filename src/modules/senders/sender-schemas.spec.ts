import { maskedConfig, maskSecret, SENDER_SCHEMAS, splitSecrets } from './sender-schemas';

describe('sender secrets', () => {
  it('masks a secret as "••••" and its last 4 characters, and a short one entirely', () => {
    expect(maskSecret('EAAGabcdefgh1234')).toBe('••••1234');
    expect(maskSecret('12345678')).toBe('••••');
    expect(maskSecret('')).toBe('••••');
  });

  it('splits the secret fields of each channel from the plain ones', () => {
    expect(
      splitSecrets('whatsapp', {
        phone_number_id: '123',
        access_token: 'token-aaaa',
        app_secret: 'secret-bbbb',
        verify_token: 'verify-cccc',
        graph_api_url: 'https://graph.example.com/v23.0',
      }),
    ).toEqual({
      plain: { phone_number_id: '123', graph_api_url: 'https://graph.example.com/v23.0' },
      secrets: {
        access_token: 'token-aaaa',
        app_secret: 'secret-bbbb',
        verify_token: 'verify-cccc',
      },
    });
    expect(
      splitSecrets('sms', { account_sid: 'AC1', auth_token: 't', from: '+1' }).secrets,
    ).toEqual({
      auth_token: 't',
    });
    expect(splitSecrets('email', { from_address: 'a@b.c', password: 'p' }).secrets).toEqual({
      password: 'p',
    });
    expect(splitSecrets('web', { url: 'https://x', secret: 'whsec_x' }).secrets).toEqual({
      secret: 'whsec_x',
    });
  });

  it('shows the config in schema order with secrets masked, never in the clear', () => {
    const shown = maskedConfig(
      'sms',
      { from: '+14155550100', account_sid: 'AC00' },
      { auth_token: 'twilio-auth-token-9f2c' },
    );
    expect(shown).toEqual({ account_sid: 'AC00', auth_token: '••••9f2c', from: '+14155550100' });
    expect(Object.keys(shown)).toEqual(['account_sid', 'auth_token', 'from']);
  });
});

describe('provider sender configs', () => {
  it('builds the WhatsApp messages endpoint from graph_api_url and phone_number_id', () => {
    const settings = SENDER_SCHEMAS.whatsapp.settings({
      phone_number_id: '106540352242922',
      access_token: 't',
      app_secret: 's',
    });
    expect(settings).toMatchObject({
      apiUrl: 'https://graph.facebook.com/v23.0/106540352242922/messages',
      phoneNumberId: '106540352242922',
    });
  });

  it("builds Twilio's Messages resource from api_url and account_sid", () => {
    const sid = `AC${'0'.repeat(32)}`;
    expect(
      SENDER_SCHEMAS.sms.settings({
        account_sid: sid,
        auth_token: 't',
        from: '+1',
        api_url: 'http://127.0.0.1:9/',
      }),
    ).toMatchObject({ apiUrl: `http://127.0.0.1:9/2010-04-01/Accounts/${sid}/Messages.json` });
  });

  it('receives a mailbox on its from_address unless inbound_addresses says otherwise', () => {
    const base = { from_address: 'Sales@Example.com', host: 'smtp.example.com', port: 587 };
    expect(SENDER_SCHEMAS.email.settings(base)).toMatchObject({
      inboundAddresses: ['sales@example.com'],
    });
    expect(
      SENDER_SCHEMAS.email.settings({
        ...base,
        inbound_addresses: ['a@example.com', 'B@example.com'],
      }),
    ).toMatchObject({ inboundAddresses: ['a@example.com', 'b@example.com'] });
  });

  it('names the cross-field problems', () => {
    expect(SENDER_SCHEMAS.whatsapp.check!({ phone_number_id: '+1 415' })).toEqual([
      'config.phone_number_id must be the number id Meta shows (digits)',
    ]);
    expect(SENDER_SCHEMAS.sms.check!({ account_sid: 'nope' })).toEqual([
      'config.account_sid must be a Twilio Account SID (AC + 32 hex digits)',
      'config.from or config.messaging_service_sid is required',
    ]);
    expect(SENDER_SCHEMAS.web.check!({ secret: 'not a secret!' })).toEqual([
      'config.secret must be a Standard Webhooks secret (whsec_ + base64)',
    ]);
  });
});
