import { randomBytes } from 'node:crypto';
import {
  header,
  HttpStandIn,
  pathnameOf,
  type RecordedRequest,
  type ScriptedResponse,
} from './http-stand-in';

export interface WhatsappStandInOptions {
  accessToken: string;
  phoneNumberId: string;
  apiVersion?: string;
}

const TEXT_BODY_MAX_CHARS = 4096;

/** WhatsApp Cloud API `POST /{version}/{phone-number-id}/messages` (PROVIDERS.md §1). */
export class WhatsappStandIn extends HttpStandIn {
  private readonly apiPath: string;

  constructor(
    private readonly accessToken: string,
    phoneNumberId: string,
    apiVersion: string,
  ) {
    super('WhatsApp stand-in');
    this.apiPath = `/${apiVersion}/${phoneNumberId}/messages`;
  }

  /** The value for WHATSAPP_API_URL. */
  get apiUrl(): string {
    return `${this.url}${this.apiPath}`;
  }

  /** The wamids of accepted answers in order, to correlate with what the sender stored. */
  get messageIds(): string[] {
    return this.accepted.flatMap((request) => {
      const id = (request.response?.body as SendResponse | undefined)?.messages?.[0]?.id;
      return id === undefined ? [] : [id];
    });
  }

  protected check(request: RecordedRequest): ScriptedResponse | undefined {
    if (request.method !== 'POST' || pathnameOf(request) !== this.apiPath) {
      return graphError(
        100,
        `Unsupported ${request.method.toLowerCase()} request. Object does not exist, ` +
          'cannot be loaded due to missing permissions, or does not support this operation',
        404,
      );
    }
    if (header(request, 'authorization') !== `Bearer ${this.accessToken}`) {
      return graphError(190, 'Invalid OAuth access token - Cannot parse access token', 401);
    }
    const problem = findBodyProblem(request.json);
    return problem === undefined ? undefined : graphError(100, 'Invalid parameter', 400, problem);
  }

  protected succeed(request: RecordedRequest): ScriptedResponse {
    const message = request.json as { to: string; type: string };
    const body: SendResponse = {
      messaging_product: 'whatsapp',
      contacts: [{ input: message.to, wa_id: message.to.replace(/^\+/, '') }],
      messages: [
        {
          id: `wamid.${randomBytes(36).toString('base64')}`,
          // Meta adds this for templates only; a sender must not require it.
          ...(message.type === 'template' && { message_status: 'accepted' }),
        },
      ],
    };
    return { status: 200, body };
  }
}

interface SendResponse {
  messaging_product: 'whatsapp';
  contacts: { input: string; wa_id: string }[];
  messages: { id: string; message_status?: string }[];
}

export async function startWhatsappStandIn({
  accessToken,
  phoneNumberId,
  apiVersion = 'v23.0',
}: WhatsappStandInOptions): Promise<WhatsappStandIn> {
  const standIn = new WhatsappStandIn(accessToken, phoneNumberId, apiVersion);
  await standIn.listen();
  return standIn;
}

/**
 * A Graph API error envelope (PROVIDERS.md §1.3), e.g. `graphError(131000, 'Something went wrong',
 * 500)`. `message` is the title; Graph prefixes it with `(#code)`.
 */
export function graphError(
  code: number,
  message: string,
  httpStatus: number,
  details = message,
): ScriptedResponse {
  return {
    status: httpStatus,
    body: {
      error: {
        message: `(#${code}) ${message}`,
        type: 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details },
        fbtrace_id: randomBytes(17).toString('base64url'),
      },
    },
  };
}

function findBodyProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'The request body must be a JSON object sent as application/json.';
  if (body.messaging_product !== 'whatsapp') return "messaging_product must be 'whatsapp'.";
  if (typeof body.to !== 'string' || !/^\+?\d+$/.test(body.to)) {
    return "to must be a phone number: digits with an optional leading '+'.";
  }
  if (body.type === 'text') {
    const text = isObject(body.text) ? body.text.body : undefined;
    if (typeof text !== 'string' || text === '') return "The parameter text['body'] is required.";
    if (text.length > TEXT_BODY_MAX_CHARS) {
      return `Param text['body'] must be at most ${TEXT_BODY_MAX_CHARS} characters long.`;
    }
    return undefined;
  }
  if (body.type === 'template') {
    const template = isObject(body.template) ? body.template : {};
    if (typeof template.name !== 'string' || template.name === '') {
      return "The parameter template['name'] is required.";
    }
    const language = isObject(template.language) ? template.language.code : undefined;
    if (typeof language !== 'string' || language === '') {
      return "The parameter template['language']['code'] is required.";
    }
    return undefined;
  }
  return `type must be 'text' or 'template' (the types this stand-in models), got ${JSON.stringify(body.type)}.`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
