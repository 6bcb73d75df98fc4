import type { AxiosInstance } from 'axios';
import type { AppConfig } from '../../platform/config/app-config';
import { createMediaHttp, DownloadedMedia } from '../../providers/media-download';
import { fetchTwilioMedia, type TwilioCredentials } from '../../providers/twilio/twilio-media';
import {
  fetchWhatsappMedia,
  type WhatsappMediaCredentials,
} from '../../providers/whatsapp-cloud/whatsapp-media';
import { SendError } from '../../shared/send-error';

/**
 * Fetches an inbound message's media from the provider its source names, as a stream, with the
 * credentials of the sender the message arrived on. Errors are SendErrors: transient ones
 * (network, 5xx, 429) are worth another try, the rest are final.
 */
export class MediaDownloader {
  private readonly http: AxiosInstance;

  constructor(private readonly config: AppConfig) {
    this.http = createMediaHttp(config.outbound.httpTimeoutMs);
  }

  /**
   * `settings` are the sender's (WhatsappSenderSettings, TwilioSenderSettings); undefined for a
   * message stored before messages carried their sender, which the variables' account fetches.
   */
  async download(
    source: Record<string, unknown>,
    settings: Record<string, unknown> | undefined,
  ): Promise<DownloadedMedia> {
    if (source.provider === 'whatsapp') {
      const credentials = (settings ?? this.config.whatsapp.sender) as
        WhatsappMediaCredentials | undefined;
      if (!credentials?.accessToken) {
        throw SendError.permanent('no whatsapp sender with an access token: cannot fetch media');
      }
      return fetchWhatsappMedia(this.http, credentials, String(source.media_id));
    }
    if (source.provider === 'twilio') {
      const credentials = (settings ?? this.config.sms) as TwilioCredentials | undefined;
      if (!credentials?.authToken) {
        throw SendError.permanent('no sms sender with an auth token: cannot fetch media');
      }
      return fetchTwilioMedia(this.http, credentials, String(source.url));
    }
    throw SendError.permanent(`unknown media source ${String(source.provider)}`);
  }
}
