/**
 * WHATSAPP_API_URL is the messages endpoint `…/vNN.N/{phone-number-id}/messages`; media live
 * beside it: `…/vNN.N/{media-id}` and `…/vNN.N/{phone-number-id}/media`.
 */
export function graphBaseUrl(messagesUrl: string): string {
  return messagesUrl.replace(/\/[^/]+\/messages\/?$/, '');
}

export function mediaUploadUrl(messagesUrl: string): string {
  return messagesUrl.replace(/\/messages\/?$/, '/media');
}
