import axios, { AxiosInstance } from 'axios';
import type { Readable } from 'node:stream';
import { httpStatusError, isSuccessStatus, requestFailure } from './provider-http';

export interface DownloadedMedia {
  content: Readable;
  contentType?: string;
}

export interface MediaRequestOptions {
  headers?: Record<string, string>;
  auth?: { username: string; password: string };
}

/**
 * The client media are fetched with. Twilio answers a media URL with a redirect to its CDN;
 * axios drops the credentials when a redirect leaves the host.
 */
export function createMediaHttp(timeoutMs: number): AxiosInstance {
  return axios.create({ timeout: timeoutMs, maxRedirects: 5, validateStatus: () => true });
}

/** GET `url` as a stream; errors are SendErrors (network, 5xx and 429 transient, the rest final). */
export async function streamMedia(
  http: AxiosInstance,
  url: string,
  options: MediaRequestOptions,
  what: string,
): Promise<DownloadedMedia> {
  const response = await http
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
