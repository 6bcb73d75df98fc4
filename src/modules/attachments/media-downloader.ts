import axios, { AxiosInstance } from 'axios';
import type { Readable } from 'node:stream';
import type { AppConfig } from '../../platform/config/app-config';
import {
  httpStatusError,
  isSuccessStatus,
  requestFailure,
} from '../delivery/senders/provider-http';
import { SendError } from '../delivery/senders/send-error';
import { graphBaseUrl } from './whatsapp-graph';

export interface DownloadedMedia {
  content: Readable;
  contentType?: string;
}

/**
 * Fetches an inbound message's media from its provider, as a stream. Errors are SendErrors:
 * transient ones (network, 5xx, 429) are worth another try, the rest are final.
 */
export class MediaDownloader {
  private readonly http: AxiosInstance;

  constructor(private readonly config: AppConfig) {
    // Twilio answers a media URL with a redirect to its CDN; axios drops the credentials when
    // a redirect leaves the host.
    this.http = axios.create({
      timeout: config.outbound.httpTimeoutMs,
      maxRedirects: 5,
      validateStatus: () => true,
    });
  }

  async download(source: Record<string, unknown>): Promise<DownloadedMedia> {
    if (source.provider === 'whatsapp') return this.fromWhatsapp(String(source.media_id));
    if (source.provider === 'twilio') return this.fromTwilio(String(source.url));
    throw SendError.permanent(`unknown media source ${String(source.provider)}`);
  }

  /** GET /{media-id} → a short-lived url, then GET that url; both with the access token. */
  private async fromWhatsapp(mediaId: string): Promise<DownloadedMedia> {
    const settings = this.config.whatsapp.sender;
    if (!settings)
      throw SendError.permanent('channel whatsapp is not configured: cannot fetch media');
    const auth = { Authorization: `Bearer ${settings.accessToken}` };
    const lookup = await this.http
      .get(`${graphBaseUrl(settings.apiUrl)}/${encodeURIComponent(mediaId)}`, { headers: auth })
      .catch((error: unknown) => {
        throw requestFailure('whatsapp media', error);
      });
    if (!isSuccessStatus(lookup.status)) {
      throw httpStatusError(lookup.status, `whatsapp media lookup answered HTTP ${lookup.status}`);
    }
    const { url, mime_type: mimeType } = (lookup.data ?? {}) as {
      url?: unknown;
      mime_type?: unknown;
    };
    if (typeof url !== 'string') throw SendError.transient('whatsapp media lookup returned no url');
    const media = await this.stream(url, { headers: auth }, 'whatsapp media');
    return { ...media, contentType: typeof mimeType === 'string' ? mimeType : media.contentType };
  }

  /** MediaUrlN with the account's credentials (HTTP Basic SID:token). */
  private async fromTwilio(url: string): Promise<DownloadedMedia> {
    const settings = this.config.sms;
    if (!settings) throw SendError.permanent('channel sms is not configured: cannot fetch media');
    return this.stream(
      url,
      { auth: { username: settings.accountSid, password: settings.authToken } },
      'twilio media',
    );
  }

  private async stream(
    url: string,
    options: { headers?: Record<string, string>; auth?: { username: string; password: string } },
    what: string,
  ): Promise<DownloadedMedia> {
    const response = await this.http
      .get<Readable>(url, { ...options, responseType: 'stream' })
      .catch((error: unknown) => {
        throw requestFailure(what, error);
      });
    if (!isSuccessStatus(response.status)) {
      response.data.resume();
      throw httpStatusError(response.status, `${what} download answered HTTP ${response.status}`);
    }
    const contentType = response.headers['content-type'];
    return {
      content: response.data,
      contentType: typeof contentType === 'string' ? contentType : undefined,
    };
  }
}
