import type { AxiosInstance } from 'axios';
import { DownloadedMedia, streamMedia } from '../media-download';

export interface TwilioCredentials {
  accountSid: string;
  authToken: string;
}

/** MediaUrlN with the account's credentials (HTTP Basic SID:token). */
export function fetchTwilioMedia(
  http: AxiosInstance,
  credentials: TwilioCredentials,
  url: string,
): Promise<DownloadedMedia> {
  return streamMedia(
    http,
    url,
    { auth: { username: credentials.accountSid, password: credentials.authToken } },
    'twilio media',
  );
}
