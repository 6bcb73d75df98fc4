import { simpleParser } from 'mailparser';
import {
  ATTACHMENT_URL_SECRET,
  mediaSignature,
  multipartForm,
  pdfBytes,
  pngBytes,
  sha256,
  STORAGE_DRIVERS,
  StorageUnderTest,
} from './support/attachment-files';
import { sql } from './support/db';
import { createConversation } from './support/factories';
import {
  fixture,
  INBOUND_ENV,
  postTwilio,
  postWhatsapp,
  uniqueWaId,
  whatsappImage,
} from './support/inbound-webhooks';
import { startOutboundStack, type OutboundStack } from './support/outbound-stack';
import { waitFor } from './support/wait-for';

const MIB = 1024 * 1024;
/** Small enough for quick tests, large enough to go over WhatsApp's 5 MB image limit. */
const MAX_BYTES = 6 * MIB;

describe.each(STORAGE_DRIVERS)('attachments, %s storage', (_name, startStorage) => {
  let storage: StorageUnderTest;
  let stack: OutboundStack;

  beforeAll(async () => {
    storage = await startStorage();
    stack = await startOutboundStack({
      ...storage.env,
      ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
      ATTACHMENT_URL_SECRET,
      PUBLIC_BASE_URL: INBOUND_ENV.PUBLIC_BASE_URL,
      // Room for the slow media server of the WhatsApp test on a loaded machine.
      OUTBOUND_HTTP_TIMEOUT_MS: '10000',
      WHATSAPP_APP_SECRET: INBOUND_ENV.WHATSAPP_APP_SECRET,
      EMAIL_WEBHOOK_SECRET: INBOUND_ENV.EMAIL_WEBHOOK_SECRET,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await storage?.close();
  });

  beforeEach(() => {
    stack.whatsapp.reset();
    stack.twilio.reset();
    stack.web.reset();
  });

  async function upload(bytes: Buffer, filename: string, contentType: string) {
    const form = multipartForm([{ field: 'file', filename, contentType, bytes }]);
    return stack.api.request('POST', '/api/attachments', form.body, {
      'content-type': form.contentType,
    });
  }

  async function download(
    path: string,
  ): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
    const response = await fetch(`${stack.api.url}${path}`);
    return {
      status: response.status,
      headers: response.headers,
      bytes: Buffer.from(await response.arrayBuffer()),
    };
  }

  /** A signed link as a provider would fetch it, pointed at the test API. */
  function local(url: string): string {
    return url.replace(INBOUND_ENV.PUBLIC_BASE_URL, '');
  }

  async function storedAttachment(messageId: string) {
    return waitFor(async () => {
      const message = (await stack.api.request('GET', `/api/messages/${messageId}`)).body;
      const [attachment] = message.attachments;
      return attachment?.status === 'stored' || attachment?.status === 'failed'
        ? attachment
        : undefined;
    }, `message ${messageId}'s attachment to be fetched`);
  }

  describe('upload and download', () => {
    it('stores an upload and streams it back byte for byte, with its type and name', async () => {
      const pdf = pdfBytes();
      const uploaded = await upload(pdf, 'invoice 2025 – März.pdf', 'application/pdf');
      expect(uploaded.status).toBe(201);
      expect(uploaded.body).toEqual({
        id: expect.any(String),
        content_type: 'application/pdf',
        filename: 'invoice 2025 – März.pdf',
        size: pdf.length,
        sha256: sha256(pdf),
      });

      const file = await download(`/api/attachments/${uploaded.body.id}`);
      expect(file.status).toBe(200);
      expect(sha256(file.bytes)).toBe(sha256(pdf));
      expect(file.headers.get('content-type')).toBe('application/pdf');
      expect(file.headers.get('content-disposition')).toBe(
        `attachment; filename="invoice 2025 _ M_rz.pdf"; filename*=UTF-8''${encodeURIComponent('invoice 2025 – März.pdf')}`,
      );
      const meta = await stack.api.request('GET', `/api/attachments/${uploaded.body.id}/meta`);
      expect(meta.body).toEqual({ ...uploaded.body, status: 'stored', error: null });
    });

    it('keeps the same bytes once, however often they are uploaded', async () => {
      const png = pngBytes();
      const before = await storage.countFiles();
      const first = await upload(png, 'a.png', 'image/png');
      const second = await upload(png, 'b.png', 'image/png');
      expect(second.body.id).not.toBe(first.body.id);
      expect(second.body.sha256).toBe(first.body.sha256);
      expect(await storage.countFiles()).toBe(before + 1);
      expect(sha256((await download(`/api/attachments/${second.body.id}`)).bytes)).toBe(
        sha256(png),
      );
    });

    it('takes a file of exactly ATTACHMENT_MAX_BYTES and refuses one byte more', async () => {
      const exact = await upload(Buffer.alloc(MAX_BYTES, 1), 'max.bin', 'application/octet-stream');
      expect(exact.status).toBe(201);
      expect(exact.body.size).toBe(MAX_BYTES);

      const over = await upload(
        Buffer.alloc(MAX_BYTES + 1, 2),
        'over.bin',
        'application/octet-stream',
      );
      expect(over.status).toBe(422);
      expect(over.body.error).toBe('attachment_too_large');
      expect(over.body.message).toContain(`ATTACHMENT_MAX_BYTES (${MAX_BYTES} bytes)`);
    });

    it('asks for a multipart file in the field "file"', async () => {
      const form = multipartForm([
        { field: 'document', filename: 'a.pdf', contentType: 'application/pdf', bytes: pdfBytes() },
      ]);
      const wrongField = await stack.api.request('POST', '/api/attachments', form.body, {
        'content-type': form.contentType,
      });
      expect(wrongField.status).toBe(400);
      expect(wrongField.body.message).toBe('file: one file is required');
      const notMultipart = await stack.api.request('POST', '/api/attachments', { file: 'x' });
      expect(notMultipart.status).toBe(415);
    });

    it('answers 404 for an unknown attachment', async () => {
      const missing = await stack.api.request(
        'GET',
        '/api/attachments/0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e13',
      );
      expect(missing.status).toBe(404);
    });
  });

  describe('outbound', () => {
    it('sends an uploaded PDF on all four channels, each in its own format', async () => {
      const pdf = pdfBytes();
      const { body: file } = await upload(pdf, 'invoice.pdf', 'application/pdf');
      const sent: Record<string, any> = {};
      for (const channel of ['whatsapp', 'sms', 'email', 'web']) {
        const conversation = await createConversation(stack.api, channel);
        const message = await stack.send(conversation.id, channel, {
          body: 'Your invoice',
          attachments: [file.id],
        });
        expect(message.attachments).toEqual([{ ...file, status: 'stored', error: null }]);
        sent[channel] = await stack.waitForStatus(message.id, ['sent', 'failed']);
        expect(sent[channel]).toMatchObject({ status: 'sent', attachments: [{ id: file.id }] });
      }

      // One upload behind four messages: a page lists it under each of them.
      const page = await stack.api.request('GET', '/api/messages?direction=outbound&limit=10');
      const listed = page.body.data.filter((m: any) =>
        Object.values(sent).some((s: any) => s.id === m.id),
      );
      expect(listed.map((m: any) => m.attachments.map((a: any) => a.id))).toEqual([
        [file.id],
        [file.id],
        [file.id],
        [file.id],
      ]);

      // WhatsApp: the file uploaded to /media, then a document message by media id.
      const upload_ = stack.whatsapp.accepted.find((r) => r.path.endsWith('/media'))!;
      expect(upload_.headers.authorization).toBe('Bearer test-whatsapp-token');
      const sentMessage = stack.whatsapp.accepted.find((r) => r.path.endsWith('/messages'))!;
      const document = (sentMessage.json as any).document;
      expect(sentMessage.json).toMatchObject({ type: 'document', to: expect.any(String) });
      expect(document).toEqual({
        id: expect.any(String),
        caption: 'Your invoice',
        filename: 'invoice.pdf',
      });
      const media = stack.whatsapp.media.get(document.id)!;
      expect(media.mimeType).toBe('application/pdf');
      expect(sha256(media.bytes)).toBe(sha256(pdf));

      // SMS: an MMS whose MediaUrl is a signed link Twilio can fetch without our API key.
      const mms = new URLSearchParams(stack.twilio.accepted[0].rawBody);
      expect(mms.get('Body')).toBe('Your invoice');
      const mediaUrls = mms.getAll('MediaUrl');
      expect(mediaUrls).toHaveLength(1);
      expect(mediaUrls[0].startsWith(`${INBOUND_ENV.PUBLIC_BASE_URL}/api/media/${file.id}?`)).toBe(
        true,
      );
      const fetched = await download(local(mediaUrls[0]));
      expect(fetched.status).toBe(200);
      expect(sha256(fetched.bytes)).toBe(sha256(pdf));

      // Email: a real MIME attachment.
      const [mail] = await stack.smtp.waitForMessages(1);
      const parsed = await simpleParser(mail.raw);
      expect(parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([
        ['invoice.pdf', 'application/pdf'],
      ]);
      expect(sha256(parsed.attachments[0].content)).toBe(sha256(pdf));

      // Web: signed links in the JSON.
      const [webEvent] = stack.web.accepted;
      const [link] = (webEvent.json as any).data.attachments;
      expect(link).toMatchObject({
        id: file.id,
        content_type: 'application/pdf',
        filename: 'invoice.pdf',
        size: pdf.length,
        sha256: sha256(pdf),
      });
      expect(sha256((await download(local(link.url))).bytes)).toBe(sha256(pdf));
    });

    it('refuses a signed link whose signature or expiry is wrong', async () => {
      const { body: file } = await upload(pdfBytes(), 'x.pdf', 'application/pdf');
      const future = Math.floor(Date.now() / 1000) + 600;
      const past = Math.floor(Date.now() / 1000) - 1;
      const good = await download(
        `/api/media/${file.id}?expires=${future}&signature=${mediaSignature(file.id, future)}`,
      );
      expect(good.status).toBe(200);
      const tampered = await download(
        `/api/media/${file.id}?expires=${future + 1}&signature=${mediaSignature(file.id, future)}`,
      );
      expect(tampered.status).toBe(403);
      const expired = await download(
        `/api/media/${file.id}?expires=${past}&signature=${mediaSignature(file.id, past)}`,
      );
      expect(expired.status).toBe(403);
      const unsigned = await download(`/api/media/${file.id}`);
      expect(unsigned.status).toBe(403);
    });

    it("checks each channel's size and type limits before queueing", async () => {
      const bigImage = (await upload(Buffer.alloc(5 * MIB + 1, 3), 'big.png', 'image/png')).body;
      const zip = (await upload(Buffer.from('PK\u0003\u0004'), 'a.zip', 'application/zip')).body;
      const photo = (await upload(pngBytes(3 * MIB), 'p.png', 'image/png')).body;
      const whatsapp = await createConversation(stack.api, 'whatsapp');
      const sms = await createConversation(stack.api, 'sms');
      const post = (conversation: any, channel: string, attachments: string[]) =>
        stack.api.request('POST', '/api/messages', {
          conversation_id: conversation.id,
          direction: 'outbound',
          channel,
          body: 'see attached',
          attachments,
        });

      const tooLarge = await post(whatsapp, 'whatsapp', [bigImage.id]);
      expect(tooLarge.status).toBe(422);
      expect(tooLarge.body).toMatchObject({ error: 'attachment_too_large' });
      expect(tooLarge.body.message).toContain('WhatsApp image files are limited to 5 MB');
      const wrongType = await post(whatsapp, 'whatsapp', [zip.id]);
      expect(wrongType.status).toBe(422);
      expect(wrongType.body).toMatchObject({ error: 'attachment_type_not_allowed' });
      expect(wrongType.body.message).toContain('application/zip');
      const mmsTotal = await post(sms, 'sms', [photo.id, photo.id].slice(0, 1).concat(bigImage.id));
      expect(mmsTotal.status).toBe(422);
      expect(mmsTotal.body.message).toContain('Twilio MMS attachments are limited to 5 MB');
      const unknown = await post(sms, 'sms', ['0195f2a4-7c1e-7b7e-9a43-5f1f0c2d8e13']);
      expect(unknown.status).toBe(404);

      const [{ n }] = await sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM messages WHERE conversation_id IN ($1, $2)',
        [whatsapp.id, sms.id],
      );
      expect(n).toBe(0);
    });

    it('sends an MMS photo without a body', async () => {
      const png = pngBytes();
      const { body: file } = await upload(png, 'photo.png', 'image/png');
      const conversation = await createConversation(stack.api, 'sms');
      const message = await stack.send(conversation.id, 'sms', {
        body: undefined,
        attachments: [file.id],
      });
      expect(await stack.waitForStatus(message.id, ['sent', 'failed'])).toMatchObject({
        status: 'sent',
      });
      const form = new URLSearchParams(stack.twilio.accepted[0].rawBody);
      expect(form.has('Body')).toBe(false);
      expect(form.getAll('MediaUrl')).toHaveLength(1);
    });

    it('retries a failed WhatsApp media upload like any transient error', async () => {
      const { body: file } = await upload(pngBytes(), 'p.png', 'image/png');
      const conversation = await createConversation(stack.api, 'whatsapp');
      stack.whatsapp.failNext(1, {
        status: 500,
        body: { error: { message: 'Something went wrong', type: 'OAuthException', code: 131000 } },
      });
      const message = await stack.send(conversation.id, 'whatsapp', { attachments: [file.id] });
      const sent = await stack.waitForStatus(message.id, ['sent', 'failed']);
      expect(sent).toMatchObject({ status: 'sent', attempt_count: 2 });
      const uploads = stack.whatsapp.requests.filter((r) => r.path.endsWith('/media'));
      expect(uploads.map((r) => r.response?.status)).toEqual([500, 200]);
      const image = (stack.whatsapp.accepted.find((r) => r.path.endsWith('/messages'))!.json as any)
        .image;
      expect(sha256(stack.whatsapp.media.get(image.id)!.bytes)).toBe(file.sha256);
    });
  });

  describe('inbound', () => {
    async function latestMessageFrom(phone: string) {
      const [row] = await sql<{ id: string }>(
        `SELECT m.id FROM messages m JOIN customers c ON c.id = m.customer_id
          WHERE c.phone = $1 ORDER BY m.id DESC LIMIT 1`,
        [phone],
      );
      return row.id;
    }

    it("keeps a WhatsApp customer's image: pending at once, then fetched with the token", async () => {
      const png = pngBytes();
      const mediaId = stack.whatsapp.addMedia({ bytes: png, mimeType: 'image/png' });
      const from = uniqueWaId();
      // A slow Graph API must not slow the webhook: the fetch happens in the worker.
      stack.whatsapp.setDelay(3_000);
      const response = await postWhatsapp(
        stack.api,
        whatsappImage(from, mediaId, png, 'my receipt'),
      );
      expect(response.status).toBe(200);
      expect(stack.whatsapp.accepted).toHaveLength(0);
      const messageId = await latestMessageFrom(`+${from}`);
      const [pending] = await sql(
        `SELECT a.status, a.content_type FROM attachments a
           JOIN message_attachments l ON l.attachment_id = a.id WHERE l.message_id = $1`,
        [messageId],
      );
      expect(pending).toEqual({ status: 'pending', content_type: 'image/png' });
      const attachment = await storedAttachment(messageId);
      expect(attachment).toMatchObject({
        status: 'stored',
        content_type: 'image/png',
        size: png.length,
        sha256: sha256(png),
      });
      const file = await download(`/api/attachments/${attachment.id}`);
      expect(sha256(file.bytes)).toBe(sha256(png));
      // Both Graph calls carried the token (the stand-in refuses them otherwise).
      const calls = stack.whatsapp.accepted.map((r) => r.path.split('/').slice(-2).join('/'));
      expect(calls).toEqual([`v23.0/${mediaId}`, `whatsapp-media/${mediaId}`]);
    });

    it('retries a failing media fetch, and marks the file failed when it cannot be had', async () => {
      const png = pngBytes();
      const mediaId = stack.whatsapp.addMedia({ bytes: png, mimeType: 'image/png' });
      stack.whatsapp.failNext(1, {
        status: 503,
        body: { error: { message: 'Service unavailable', type: 'OAuthException', code: 131016 } },
      });
      const from = uniqueWaId();
      await postWhatsapp(stack.api, whatsappImage(from, mediaId, png, 'my receipt'));
      const retried = await storedAttachment(await latestMessageFrom(`+${from}`));
      expect(retried.status).toBe('stored');
      const [{ fetch_attempts }] = await sql(
        'SELECT fetch_attempts FROM attachments WHERE id = $1',
        [retried.id],
      );
      expect(fetch_attempts).toBe(2);

      const gone = uniqueWaId();
      await postWhatsapp(stack.api, whatsappImage(gone, '999999999999', png, 'my receipt'));
      const failed = await storedAttachment(await latestMessageFrom(`+${gone}`));
      expect(failed).toMatchObject({ status: 'failed', sha256: null });
      expect(failed.error).toContain('HTTP 400');
      const refused = await stack.api.request('GET', `/api/attachments/${failed.id}`);
      expect(refused.status).toBe(409);
    });

    it('keeps an MMS photo, fetched with the account credentials', async () => {
      const photo = pngBytes(30_000);
      const mediaUrl = stack.twilio.addMedia(photo, 'image/jpeg');
      const from = `+1415${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
      const params = {
        ...fixture('twilio/inbound-mms.json'),
        MessageSid: `MM${Math.random().toString(16).slice(2).padEnd(32, '0')}`,
        From: from,
        NumMedia: '1',
        MediaUrl0: mediaUrl,
        MediaContentType0: 'image/jpeg',
      };
      const response = await postTwilio(stack.api, '/api/webhooks/sms', params);
      expect(response.status).toBe(200);
      const attachment = await storedAttachment(await latestMessageFrom(from));
      expect(attachment).toMatchObject({ status: 'stored', content_type: 'image/jpeg' });
      expect(sha256((await download(`/api/attachments/${attachment.id}`)).bytes)).toBe(
        sha256(photo),
      );
      expect(stack.twilio.accepted.filter((r) => r.path.includes('/Media/'))).toHaveLength(1);
    });

    it('keeps an emailed PDF from a SendGrid Inbound Parse form, stored with the message', async () => {
      const pdf = pdfBytes();
      const sender = `ann-${Math.random().toString(16).slice(2)}@example.com`;
      const form = multipartForm(
        [
          {
            field: 'attachment1',
            filename: 'statement.pdf',
            contentType: 'application/pdf',
            bytes: pdf,
          },
        ],
        {
          from: `Ann <${sender}>`,
          to: 'support@shop.example',
          subject: 'My statement',
          text: 'See attached',
          headers: `Message-ID: <${Math.random().toString(16).slice(2)}@example.com>\n`,
          attachments: '1',
          'attachment-info': JSON.stringify({
            attachment1: { filename: 'statement.pdf', type: 'application/pdf' },
          }),
        },
      );
      const response = await stack.api.request('POST', '/api/webhooks/email', form.body, {
        'content-type': form.contentType,
        authorization: `Basic ${Buffer.from(`sendgrid:${INBOUND_ENV.EMAIL_WEBHOOK_SECRET}`).toString('base64')}`,
      });
      expect(response.status).toBe(200);
      const [row] = await sql<{ id: string }>(
        `SELECT m.id FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.email = $1`,
        [sender],
      );
      const message = (await stack.api.request('GET', `/api/messages/${row.id}`)).body;
      expect(message.attachments).toEqual([
        {
          id: expect.any(String),
          status: 'stored',
          content_type: 'application/pdf',
          filename: 'statement.pdf',
          size: pdf.length,
          sha256: sha256(pdf),
          error: null,
        },
      ]);
      const file = await download(`/api/attachments/${message.attachments[0].id}`);
      expect(sha256(file.bytes)).toBe(sha256(pdf));
    });

    it('keeps base64 attachments of the JSON email form', async () => {
      const pdf = pdfBytes(5_000);
      const sender = `bob-${Math.random().toString(16).slice(2)}@example.com`;
      const response = await stack.api.request(
        'POST',
        '/api/webhooks/email',
        {
          from: sender,
          to: 'support@shop.example',
          subject: 'Contract',
          text: 'Signed copy attached',
          message_id: `<${Math.random().toString(16).slice(2)}@example.com>`,
          attachments: [
            {
              filename: 'signed.pdf',
              content_type: 'application/pdf',
              content: pdf.toString('base64'),
            },
          ],
        },
        {
          authorization: `Basic ${Buffer.from(`x:${INBOUND_ENV.EMAIL_WEBHOOK_SECRET}`).toString('base64')}`,
        },
      );
      expect(response.status).toBe(200);
      const [row] = await sql<{ id: string }>(
        `SELECT m.id FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.email = $1`,
        [sender],
      );
      const listed = await stack.api.request(
        'GET',
        `/api/messages?conversation_id=${(await sql('SELECT conversation_id FROM messages WHERE id = $1', [row.id]))[0].conversation_id}`,
      );
      const [attachment] = listed.body.data[0].attachments;
      expect(attachment).toMatchObject({
        status: 'stored',
        filename: 'signed.pdf',
        sha256: sha256(pdf),
      });
      expect(sha256((await download(`/api/attachments/${attachment.id}`)).bytes)).toBe(sha256(pdf));
    });
  });
});
