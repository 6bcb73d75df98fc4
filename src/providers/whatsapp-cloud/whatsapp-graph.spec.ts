import { graphBaseUrl, mediaUploadUrl } from './whatsapp-graph';

describe('WhatsApp Graph URLs from WHATSAPP_API_URL', () => {
  const messages = 'https://graph.facebook.com/v23.0/106540352242922/messages';

  it('finds the media endpoints beside the messages endpoint', () => {
    expect(graphBaseUrl(messages)).toBe('https://graph.facebook.com/v23.0');
    expect(mediaUploadUrl(messages)).toBe('https://graph.facebook.com/v23.0/106540352242922/media');
  });
});
