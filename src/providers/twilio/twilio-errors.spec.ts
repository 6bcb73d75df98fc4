import { classifyTwilioError } from './twilio-errors';

const twilio = (code: number, status: number, message = 'Something happened') => ({
  code,
  message,
  more_info: `https://www.twilio.com/docs/errors/${code}`,
  status,
});

describe('classifyTwilioError', () => {
  it('20429 is transient, rate limited, and keeps Retry-After', () => {
    expect(classifyTwilioError(429, twilio(20429, 429), 3_000)).toMatchObject({
      kind: 'transient',
      rateLimited: 'channel',
      retryAfterMs: 3_000,
      providerCode: 20429,
      httpStatus: 429,
    });
  });

  it('HTTP 429 without a Twilio body is transient and rate limited', () => {
    expect(classifyTwilioError(429, 'Too Many Requests', 1_000)).toMatchObject({
      kind: 'transient',
      rateLimited: 'channel',
      retryAfterMs: 1_000,
    });
  });

  it.each([500, 502, 503, 504])('HTTP %i is transient and not rate limited', (status) => {
    expect(classifyTwilioError(status, twilio(20500, status))).toMatchObject({
      kind: 'transient',
      rateLimited: undefined,
      httpStatus: status,
    });
  });

  // PROVIDERS.md §3.3, permanent list; the usual status is given, the code decides.
  it.each([
    [20003, 401],
    [20404, 404],
    [21211, 400],
    [21408, 400],
    [21601, 400],
    [21606, 400],
    [21608, 400],
    [21610, 400],
    [21612, 400],
    [21614, 400],
    [21617, 400],
  ])('code %i (HTTP %i) is permanent', (code, status) => {
    expect(classifyTwilioError(status, twilio(code, status))).toMatchObject({
      kind: 'permanent',
      providerCode: code,
      httpStatus: status,
    });
    expect(classifyTwilioError(500, twilio(code, 500)).kind).toBe('permanent');
  });

  it.each([400, 403, 404, 422])('an unknown code with HTTP %i is permanent', (status) => {
    expect(classifyTwilioError(status, twilio(29999, status))).toMatchObject({
      kind: 'permanent',
      providerCode: 29999,
    });
  });

  it('writes the code and Twilio message, masking the phone number in it', () => {
    const error = classifyTwilioError(
      400,
      twilio(21211, 400, "The 'To' number 5551234567 is not a valid phone number."),
    );
    expect(error.message).toBe(
      "twilio error 21211: The 'To' number ********67 is not a valid phone number.",
    );
  });

  it.each([
    ['+15558675310', '+*********10'],
    ['+1 (555) 867-5310', '+* (***) ***-**10'],
    ['whatsapp:+15558675310', 'whatsapp:+*********10'],
  ])('masks %s as %s', (number, masked) => {
    const error = classifyTwilioError(400, twilio(21610, 400, `Attempt to send to ${number}.`));
    expect(error.message).toBe(`twilio error 21610: Attempt to send to ${masked}.`);
  });

  it('leaves short numbers and ids alone', () => {
    const error = classifyTwilioError(
      400,
      twilio(21617, 400, 'Body exceeds the 1600 character limit for SM0123456789abcdef'),
    );
    expect(error.message).toBe(
      'twilio error 21617: Body exceeds the 1600 character limit for SM0123456789abcdef',
    );
  });

  it('names the HTTP status when the body is not a Twilio error', () => {
    expect(classifyTwilioError(502, '<html>bad gateway</html>').message).toBe(
      'twilio error: HTTP 502',
    );
  });
});
