import type { AxiosInstance } from 'axios';
import type { AppConfig } from '../../platform/config/app-config';
import { createMediaHttp, DownloadedMedia } from '../../providers/media-download';
import { fetchTwilioMedia } from '../../providers/twilio/twilio-media';
import { fetchWhatsappMedia } from '../../providers/whatsapp-cloud/whatsapp-media';
import { SendError } from '../../shared/send-error';

/**
 * Fetches an inbound message's media from the provider its source names, as a stream. Errors are
 * SendErrors: transient ones (network, 5xx, 429) are worth another try, the rest are final.
 */
export class MediaDownloader {
  private readonly http: AxiosInstance;

  constructor(private readonly config: AppConfig) {
    this.http = createMediaHttp(config.outbound.httpTimeoutMs);
  }

  async download(source: Record<string, unknown>): Promise<DownloadedMedia> {
    if (source.provider === 'whatsapp') {
      const settings = this.config.whatsapp.sender;
      if (!settings) {
        throw SendError.permanent('channel whatsapp is not configured: cannot fetch media');
      }
      return fetchWhatsappMedia(this.http, settings, String(source.media_id));
    }
    if (source.provider === 'twilio') {
      const settings = this.config.sms;
      if (!settings) throw SendError.permanent('channel sms is not configured: cannot fetch media');
      return fetchTwilioMedia(this.http, settings, String(source.url));
    }
    throw SendError.permanent(`unknown media source ${String(source.provider)}`);
  }
}
