import type { InboundBatch, InboundMessageInput } from '../../providers/inbound-batch';
import { storableBatch } from './storable-batch';

const message = (path: string, fields: Partial<InboundMessageInput> = {}): InboundMessageInput => ({
  path,
  channel: 'whatsapp',
  providerMessageId: `wamid.${path}`,
  sender: { key: 'phone', value: '+14155550100', name: 'Ann' },
  body: 'hello',
  subject: null,
  metadata: {},
  inReplyTo: [],
  ...fields,
});

const batch = (...messages: InboundMessageInput[]): InboundBatch => ({
  messages,
  receipts: [],
  problems: [],
});

describe('storableBatch', () => {
  it('leaves a clean batch as it is', () => {
    const clean = batch(message('m[0]'), message('m[1]'));
    expect(storableBatch(clean)).toEqual(clean);
  });

  it('cleans text a person wrote: NUL removed, a lone surrogate shown as U+FFFD', () => {
    const [stored] = storableBatch(
      batch(
        message('m[0]', {
          body: 'a\u0000b\ud800c😀',
          subject: '\udc00',
          sender: { key: 'phone', value: '+14155550100', name: 'A\u0000nn' },
          metadata: { caption: 'x\u0000', ['k\u0000']: [{ deep: '\ud800' }] },
        }),
      ),
    ).messages;
    expect(stored).toMatchObject({
      body: 'ab\ufffdc😀',
      subject: '\ufffd',
      sender: { name: 'Ann' },
      metadata: { caption: 'x', k: [{ deep: '\ufffd' }] },
    });
  });

  it('leaves out a message whose id cannot be stored, naming it, and keeps the rest', () => {
    const result = storableBatch(
      batch(
        message('m[0]'),
        message('m[1]', { providerMessageId: 'wamid.\u0000' }),
        message('m[2]'),
      ),
    );
    expect(result.messages.map((m) => m.path)).toEqual(['m[0]', 'm[2]']);
    expect(result.problems).toEqual([
      'm[1]: the message id contains a NUL character (\\u0000), which cannot be stored',
    ]);
  });

  it('leaves out a message whose metadata is nested too deep to clean', () => {
    let deep: unknown = 'bottom\u0000';
    for (let i = 0; i < 40; i++) deep = [deep];
    const result = storableBatch(batch(message('m[0]', { metadata: { deep } })));
    expect(result.messages).toEqual([]);
    expect(result.problems).toEqual(['m[0]: metadata is nested more than 32 levels deep']);
  });

  it('drops ancestors that cannot name a stored message, and checks receipts alike', () => {
    const result = storableBatch({
      messages: [message('m[0]', { inReplyTo: ['<a\u0000@x>', '<b@x>'] })],
      receipts: [
        {
          path: 's[0]',
          channel: 'whatsapp',
          providerMessageId: 'wamid.\u0000',
          messageRef: null,
          providerStatus: 'read',
          status: 'read',
          providerTimestamp: null,
          errorCode: null,
          error: null,
        },
      ],
      problems: [],
    });
    expect(result.messages[0].inReplyTo).toEqual(['<b@x>']);
    expect(result.receipts).toEqual([]);
    expect(result.problems).toEqual([
      's[0]: the message id contains a NUL character (\\u0000), which cannot be stored',
    ]);
  });
});
