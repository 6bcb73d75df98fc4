import { randomBytes } from 'node:crypto';
import {
  header,
  HttpStandIn,
  pathnameOf,
  type RecordedRequest,
  type ScriptedResponse,
} from './http-stand-in';

export interface TwilioStandInOptions {
  accountSid: string;
  authToken: string;
}

/** Twilio `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (PROVIDERS.md §3.1–3.3). */
export class TwilioStandIn extends HttpStandIn {
  /** Media of inbound MMS by path, served only with the account's credentials. */
  readonly media = new Map<string, { bytes: Buffer; contentType: string }>();
  private readonly apiPath: string;
  private readonly authorization: string;

  constructor(
    private readonly accountSid: string,
    authToken: string,
  ) {
    super('Twilio stand-in');
    this.apiPath = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
    this.authorization = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  }

  /** The value for SMS_API_URL. */
  get apiUrl(): string {
    return `${this.url}${this.apiPath}`;
  }

  /** A photo a customer sent by MMS: the MediaUrl for the inbound webhook. */
  addMedia(bytes: Buffer, contentType: string): string {
    const path =
      `/2010-04-01/Accounts/${this.accountSid}/Messages/MM${randomBytes(16).toString('hex')}` +
      `/Media/ME${randomBytes(16).toString('hex')}`;
    this.media.set(path, { bytes, contentType });
    return `${this.url}${path}`;
  }

  /** The message sids of accepted answers in order, to correlate with what the sender stored. */
  get sids(): string[] {
    return this.accepted.flatMap((request) => {
      const sid = (request.response?.body as { sid?: string } | undefined)?.sid;
      return sid === undefined ? [] : [sid];
    });
  }

  protected check(request: RecordedRequest): ScriptedResponse | undefined {
    const path = pathnameOf(request);
    if (this.media.has(path)) {
      // Media URLs require HTTP Basic authentication when the account enforces it.
      return header(request, 'authorization') === this.authorization
        ? undefined
        : twilioError(20003, 'Authenticate', 401, {
            'www-authenticate': 'Basic realm="Twilio API"',
          });
    }
    if (path !== this.apiPath) {
      return twilioError(20404, `The requested resource ${path} was not found`, 404);
    }
    if (request.method !== 'POST') return twilioError(20004, 'Method not allowed', 405);
    if (header(request, 'authorization') !== this.authorization) {
      return twilioError(20003, 'Authenticate', 401, {
        'www-authenticate': 'Basic realm="Twilio API"',
      });
    }
    // Twilio reads only form parameters: a JSON body looks like a request without any.
    const form = request.form ?? {};
    if (!form.To) return twilioError(21604, "A 'To' phone number is required.", 400);
    if (!form.From && !form.MessagingServiceSid) {
      return twilioError(21603, "A 'From' phone number is required.", 400);
    }
    const mediaUrls = new URLSearchParams(request.rawBody).getAll('MediaUrl');
    if (!form.Body && mediaUrls.length === 0) {
      return twilioError(21602, 'Message body is required.', 400);
    }
    return undefined;
  }

  protected succeed(request: RecordedRequest): ScriptedResponse {
    const media = this.media.get(pathnameOf(request));
    if (media) {
      return { status: 200, body: media.bytes, headers: { 'content-type': media.contentType } };
    }
    const form = request.form!;
    const numMedia = new URLSearchParams(request.rawBody).getAll('MediaUrl').length;
    const sid = `${numMedia > 0 ? 'MM' : 'SM'}${randomBytes(16).toString('hex')}`;
    const now = new Date().toUTCString().replace('GMT', '+0000');
    return {
      status: 201,
      body: {
        sid,
        account_sid: this.accountSid,
        to: form.To,
        from: form.From ?? null,
        messaging_service_sid: form.MessagingServiceSid ?? null,
        body: form.Body,
        // A Messaging Service accepts first and picks the sender later (PROVIDERS.md §3.2).
        status: form.MessagingServiceSid ? 'accepted' : 'queued',
        num_segments: '1',
        num_media: String(numMedia),
        direction: 'outbound-api',
        api_version: '2010-04-01',
        price: null,
        price_unit: 'USD',
        error_code: null,
        error_message: null,
        date_created: now,
        date_updated: now,
        date_sent: null,
        uri: `/2010-04-01/Accounts/${this.accountSid}/Messages/${sid}.json`,
      },
    };
  }
}

export async function startTwilioStandIn({
  accountSid,
  authToken,
}: TwilioStandInOptions): Promise<TwilioStandIn> {
  const standIn = new TwilioStandIn(accountSid, authToken);
  await standIn.listen();
  return standIn;
}

/**
 * A Twilio REST error (PROVIDERS.md §3.3), e.g. `twilioError(20429, 'Too Many Requests', 429,
 * { 'retry-after': '1' })`.
 */
export function twilioError(
  code: number,
  message: string,
  httpStatus: number,
  headers?: Record<string, string>,
): ScriptedResponse {
  return {
    status: httpStatus,
    headers,
    body: {
      code,
      message,
      more_info: `https://www.twilio.com/docs/errors/${code}`,
      status: httpStatus,
    },
  };
}
