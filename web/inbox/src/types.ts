/** The API's public JSON, as far as the page reads it. */

export type Channel = 'whatsapp' | 'sms' | 'email' | 'web';

export interface Agent {
  id: string;
  email: string;
  name: string;
  role: 'admin' | 'agent';
}

export interface Customer {
  id: string;
  name: string | null;
  phone: string | null;
  email: string | null;
  external_id: string | null;
}

export interface LastMessage {
  body: string | null;
  direction: 'inbound' | 'outbound';
  status: string;
}

export interface Conversation {
  id: string;
  customer_id: string;
  channel: Channel;
  subject: string | null;
  status: 'open' | 'closed';
  assignee_id: string | null;
  unread_count: number;
  last_message_at: string | null;
  last_message: LastMessage | null;
  created_at: string;
  updated_at: string;
}

/** A conversation as list pages answer it: with its customer, so a page names its rows. */
export interface ListedConversation extends Conversation {
  customer: Customer;
}

export interface Attachment {
  id: string;
  status: 'pending' | 'stored' | 'failed';
  content_type: string;
  filename: string | null;
  size: number | null;
}

export interface Message {
  id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  channel: Channel;
  body: string | null;
  subject: string | null;
  status: string;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  attachments: Attachment[];
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface LogEvent {
  seq: number;
  type: string;
  conversation_id: string | null;
  data: unknown;
}
