import { DomainError } from '../../platform/errors/domain-error';
import { answerSubscription } from './whatsapp-subscription';

describe('answerSubscription', () => {
  const query = {
    'hub.mode': 'subscribe',
    'hub.verify_token': 'tok',
    'hub.challenge': '1158201444',
  };

  it('returns the challenge as is for the right token', () => {
    expect(answerSubscription(query, ['tok'])).toBe('1158201444');
  });

  it('accepts the token of any of the senders', () => {
    expect(answerSubscription(query, ['other', 'tok'])).toBe('1158201444');
  });

  it.each([
    ['a wrong token', { ...query, 'hub.verify_token': 'nope' }, ['tok']],
    ['another mode', { ...query, 'hub.mode': 'unsubscribe' }, ['tok']],
    ['no configured token', query, []],
  ])('is forbidden with %s', (_, q, token) => {
    expect(() => answerSubscription(q, token)).toThrow(
      expect.objectContaining<Partial<DomainError>>({ code: 'forbidden' }),
    );
  });
});
