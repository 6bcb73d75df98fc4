import { createHash, randomBytes } from 'node:crypto';
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
  /** Also take sends for any other phone number id (many senders sharing one stand-in). */
  anyPhoneNumber?: boolean;
}

const TEXT_BODY_MAX_CHARS = 4096;
const MEDIA_TYPES = ['image', 'audio', 'video', 'document', 'sticker'];

/** A file the Cloud API holds: uploaded by the business, or sent by a customer. */
export interface StandInMedia {
  bytes: Buffer;
  mimeType: string;
  filename?: string;
}

/**
 * WhatsApp Cloud API `POST /{version}/{phone-number-id}/messages` (PROVIDERS.md §1) and its
 * media endpoints: `POST /{version}/{phone-number-id}/media` (multipart upload → id),
 * `GET /{version}/{media-id}` (→ a download url) and that url, each with the Bearer token.
 */
export class WhatsappStandIn extends HttpStandIn {
  /** Media by id: uploads land here; addMedia() puts a customer's file here. */
  readonly media = new Map<string, StandInMedia>();
  private readonly apiPath: string;
  private readonly uploadPath: string;

  constructor(
    private readonly accessToken: string,
    phoneNumberId: string,
    apiVersion: string,
    private readonly anyPhoneNumber = false,
  ) {
    super('WhatsApp stand-in');
    this.apiPath = `/${apiVersion}/${phoneNumberId}/messages`;
    this.uploadPath = `/${apiVersion}/${phoneNumberId}/media`;
  }

  private route(request: RecordedRequest): Route {
    const path = pathnameOf(request);
    if (request.method === 'POST' && path === this.apiPath) return 'messages';
    if (
      request.method === 'POST' &&
      this.anyPhoneNumber &&
      /^\/v[\d.]+\/\d+\/messages$/.test(path)
    ) {
      return 'messages';
    }
    if (request.method === 'POST' && path === this.uploadPath) return 'upload';
    if (request.method === 'GET' && path.startsWith('/whatsapp-media/')) return 'download';
    if (request.method === 'GET' && /^\/v[\d.]+\/\d+$/.test(path)) return 'lookup';
    return undefined;
  }

  /** A file a customer sent: its media id, for an inbound webhook. */
  addMedia(media: StandInMedia): string {
    const id = String(1_000_000_000_000 + this.media.size + Math.floor(Math.random() * 1e9));
    this.media.set(id, media);
    return id;
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
    const path = pathnameOf(request);
    const route = this.route(request);
    if (route === 'upload' || route === 'lookup' || route === 'download') {
      if (header(request, 'authorization') !== `Bearer ${this.accessToken}`) {
        return graphError(190, 'Invalid OAuth access token - Cannot parse access token', 401);
      }
      if (route === 'upload') {
        const problem = findUploadProblem(request);
        return problem === undefined
          ? undefined
          : graphError(100, 'Invalid parameter', 400, problem);
      }
      const id = path.split('/').pop()!;
      return this.media.has(id)
        ? undefined
        : graphError(100, `Unsupported get request. Object with ID '${id}' does not exist`, 400);
    }
    if (route !== 'messages') {
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
    const problem = findBodyProblem(request.json, this.media);
    return problem === undefined ? undefined : graphError(100, 'Invalid parameter', 400, problem);
  }

  protected succeed(request: RecordedRequest): ScriptedResponse {
    const route = this.route(request);
    const id = pathnameOf(request).split('/').pop()!;
    if (route === 'upload') {
      const mediaId = this.addMedia(parseUpload(request)!);
      return { status: 200, body: { id: mediaId } };
    }
    if (route === 'lookup') {
      const media = this.media.get(id)!;
      return {
        status: 200,
        body: {
          messaging_product: 'whatsapp',
          url: `${this.url}/whatsapp-media/${id}`,
          mime_type: media.mimeType,
          sha256: createHash('sha256').update(media.bytes).digest('hex'),
          file_size: media.bytes.length,
          id,
        },
      };
    }
    if (route === 'download') {
      const media = this.media.get(id)!;
      return { status: 200, body: media.bytes, headers: { 'content-type': media.mimeType } };
    }
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

type Route = 'messages' | 'upload' | 'lookup' | 'download' | undefined;

interface SendResponse {
  messaging_product: 'whatsapp';
  contacts: { input: string; wa_id: string }[];
  messages: { id: string; message_status?: string }[];
}

export async function startWhatsappStandIn({
  accessToken,
  phoneNumberId,
  apiVersion = 'v23.0',
  anyPhoneNumber = false,
}: WhatsappStandInOptions): Promise<WhatsappStandIn> {
  const standIn = new WhatsappStandIn(accessToken, phoneNumberId, apiVersion, anyPhoneNumber);
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

/** The multipart upload's fields and its one file (`messaging_product`, `type`, `file`). */
export function parseUpload(request: RecordedRequest): StandInMedia | undefined {
  const boundary = /boundary=([^;]+)/.exec(header(request, 'content-type') ?? '')?.[1];
  if (!boundary) return undefined;
  const fields: Record<string, string> = {};
  let file: StandInMedia | undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  let start = request.bytes.indexOf(delimiter);
  while (start >= 0) {
    const next = request.bytes.indexOf(delimiter, start + delimiter.length);
    if (next < 0) break;
    const part = request.bytes.subarray(start + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    if (filename !== undefined) {
      const mimeType = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? 'application/octet-stream';
      if (name === 'file') file = { bytes: Buffer.from(content), mimeType, filename };
    } else {
      fields[name] = content.toString('utf8');
    }
    start = next;
  }
  if (!file || fields.messaging_product !== 'whatsapp' || !fields.type) return undefined;
  return { ...file, mimeType: fields.type };
}

function findUploadProblem(request: RecordedRequest): string | undefined {
  return parseUpload(request) === undefined
    ? 'Send multipart/form-data with messaging_product=whatsapp, type and one file in "file".'
    : undefined;
}

function findBodyProblem(body: unknown, media: Map<string, StandInMedia>): string | undefined {
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
  if (typeof body.type === 'string' && MEDIA_TYPES.includes(body.type)) {
    const object = isObject(body[body.type]) ? (body[body.type] as Record<string, unknown>) : {};
    if (typeof object.id !== 'string' || !media.has(object.id)) {
      return `The parameter ${body.type}['id'] must be the id of uploaded media.`;
    }
    return undefined;
  }
  return `type must be 'text', 'template' or a media type (the types this stand-in models), got ${JSON.stringify(body.type)}.`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
