import { CHANNELS, Channel } from '../../shared/channel';
import type { AppConfig } from '../config/app-config';

/** Which channels can send, by the same rule as the worker's senders (email is always there). */
export function configuredChannels(config: AppConfig): Record<Channel, boolean> {
  const configured: Record<Channel, boolean> = {
    whatsapp: !!config.whatsapp.sender,
    sms: !!config.sms,
    email: true,
    web: !!config.web.sender,
  };
  return Object.fromEntries(CHANNELS.map((channel) => [channel, configured[channel]])) as Record<
    Channel,
    boolean
  >;
}
