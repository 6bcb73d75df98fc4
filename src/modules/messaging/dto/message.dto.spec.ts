import 'reflect-metadata';
import fc from 'fast-check';
import { RequestValidationPipe } from '../../../platform/http/request-validation.pipe';
import { schemaShortcutOf } from '../../../platform/http/schema-shortcut';
import { CHANNELS } from '../../../shared/channel';
import { DIRECTIONS, PRIORITIES } from '../message-status';
import { CreateMessageDto, MAX_ATTACHMENTS, MAX_BODY_LENGTH } from './message.dto';

/** The same decorators without the shortcut (it is not inherited): class-validator's verdict. */
class CheckedByDecorators extends CreateMessageDto {}

const pipe = new RequestValidationPipe();
const matchesShortcut = schemaShortcutOf(CreateMessageDto)!;

async function decoratorsVerdict(body: unknown): Promise<unknown> {
  const copy = structuredClone(body);
  return pipe.transform(copy, { type: 'body', metatype: CheckedByDecorators }).then(
    (value) => ({ accepted: JSON.parse(JSON.stringify(value)) }),
    (error: Error) => ({ refused: error.message }),
  );
}

const oddValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }),
);
/** Mostly the field's own kind of value, so that many bodies are valid as a whole. */
const sometimes = <T>(usual: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 30, arbitrary: usual }, { weight: 1, arbitrary: oddValue });
const uuid = fc.oneof(
  { weight: 6, arbitrary: fc.uuid({ version: [1, 4, 7] }) },
  fc.uuid({ version: 7 }).map((id) => id.toUpperCase()),
  fc.uuid(),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
  fc.constantFrom('0195f2a4-7c1e-0b7e-9a43-5f1f0c2d8e11', '0195f2a4-7c1e-7b7e-ca43-5f1f0c2d8e11'),
);
const text = (max: number) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }) },
    fc.string({ maxLength: 5, unit: 'binary' }),
    fc.constantFrom('', ' ', '\uFE0F'),
    fc
      .constantFrom('x', '😀', '\uFE0F', 'e\u0301')
      .chain((unit) =>
        fc.integer({ min: max - 1, max: max + 1 }).map((length) => unit.repeat(length)),
      ),
  );
/** Now and then a field no DTO declares. */
const withStray = <T extends object>(fields: fc.Arbitrary<T>) =>
  fc
    .tuple(fields, fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, fc.string()))
    .map(([value, stray]) => (stray === null ? value : { ...value, stray }));
const json: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });
const jsonObject = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 3 }),
  fc.constantFrom(
    { constructor: 'x' },
    { nested: [{ prototype: 1 }] },
    { recipient: '+14155550100' },
  ),
);
const template = withStray(
  fc.record(
    {
      name: sometimes(fc.stringMatching(/^[a-z0-9_]{0,6}$/)),
      language: sometimes(fc.constantFrom('en', 'en_US', 'pt_BR', 'EN', 'en-US', 'english')),
      components: sometimes(fc.array(fc.oneof(jsonObject, oddValue), { maxLength: 2 })),
    },
    { requiredKeys: ['name', 'language'] },
  ),
);

const body = withStray(
  fc.record(
    {
      conversation_id: sometimes(uuid),
      direction: sometimes(fc.constantFrom(...DIRECTIONS)),
      channel: sometimes(fc.constantFrom(...CHANNELS)),
      body: sometimes(text(MAX_BODY_LENGTH)),
      subject: sometimes(text(998)),
      priority: sometimes(fc.constantFrom(...PRIORITIES, 'urgent')),
      validity_seconds: sometimes(
        fc.oneof(
          fc.integer({ min: -2, max: 2_600_000 }),
          fc.constantFrom(0, 1, 2_592_000, 2_592_001, 1.5),
        ),
      ),
      template: sometimes(template),
      metadata: sometimes(jsonObject),
      attachments: sometimes(
        fc.oneof(
          fc.array(uuid, { maxLength: MAX_ATTACHMENTS + 1 }),
          uuid.map((id) => [id, id]),
        ),
      ),
    },
    { requiredKeys: ['conversation_id', 'direction', 'channel'] },
  ),
);

describe('CreateMessageDto schema shortcut', () => {
  it('takes the usual sends: text, and the optional fields in their documented forms', () => {
    const text = {
      conversation_id: '0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e11',
      direction: 'outbound',
      channel: 'whatsapp',
      body: 'Your order has shipped.',
    };
    expect(matchesShortcut(text)).toBe(true);
    expect(
      matchesShortcut({
        ...text,
        subject: 'Your order',
        priority: 'high',
        validity_seconds: 3600,
        metadata: { recipient: '+14155550100', tags: ['vip'] },
        attachments: ['0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e12'],
      }),
    ).toBe(true);
    expect(
      matchesShortcut({
        ...text,
        template: {
          name: 'order_update',
          language: 'en_US',
          components: [{ type: 'body', parameters: [{ type: 'text', text: '1001' }] }],
        },
      }),
    ).toBe(true);
  });

  it('never takes a body the decorators refuse, nor one they would change', async () => {
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(body, async (candidate) => {
        if (!matchesShortcut(candidate)) return;
        taken++;
        expect(await decoratorsVerdict(candidate)).toEqual({ accepted: candidate });
      }),
      { numRuns: 10_000 },
    );
    // Most candidates carry one odd field; enough must match for the property to mean anything.
    expect(taken).toBeGreaterThan(100);
  });
});
