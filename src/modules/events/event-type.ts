/** Event type names are part of the public contract (socket.io event names, webhook types). */
export const EVENT_TYPES = [
  'message.created',
  'message.updated',
  'conversation.created',
  'conversation.updated',
  'customer.created',
  'customer.erased',
  'webhook_endpoint.disabled',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
