import type { AxiosInstance } from 'axios';
import { SendError } from '../../shared/send-error';
import { DownloadedMedia, streamMedia } from '../media-download';
import { httpStatusError, isSuccessStatus, requestFailure } from '../provider-http';
import { graphBaseUrl } from './whatsapp-graph';

export interface WhatsappMediaCredentials {
  /** The messages endpoint; media ids resolve beside it. */
  apiUrl: string;
  accessToken: string;
}

/** GET /{media-id} → a short-lived url, then GET that url; both with the access token. */
export async function fetchWhatsappMedia(
  http: AxiosInstance,
  credentials: WhatsappMediaCredentials,
  mediaId: string,
): Promise<DownloadedMedia> {
  const auth = { Authorization: `Bearer ${credentials.accessToken}` };
  const lookup = await http
    .get(`${graphBaseUrl(credentials.apiUrl)}/${encodeURIComponent(mediaId)}`, { headers: auth })
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
  const media = await streamMedia(http, url, { headers: auth }, 'whatsapp media');
  return { ...media, contentType: typeof mimeType === 'string' ? mimeType : media.contentType };
}
