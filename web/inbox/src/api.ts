import type {
  Agent,
  Attachment,
  Conversation,
  Customer,
  ListedConversation,
  Message,
  Page,
} from './types';

/** An API error with the `message` the API wrote for people. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when a request is refused for want of a session, so the page can show the sign-in. */
let onSignedOut: () => void = () => {};
export const whenSignedOut = (handler: () => void) => (onSignedOut = handler);

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const init: RequestInit = { method, headers };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { ...headers, 'content-type': 'application/json' };
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    // a proxy's HTML error page: the status says enough
  }
  if (response.ok) return json as T;
  // Any 401 but a refused sign-in means the session is gone (expired, or signed out elsewhere).
  if (response.status === 401 && !(method === 'POST' && path === '/api/session')) onSignedOut();
  const message = Array.isArray(json?.message) ? json.message.join('; ') : json?.message;
  throw new ApiError(response.status, message || `The server answered ${response.status}.`);
}

const query = (fields: Record<string, string | undefined>) => {
  const present = Object.entries(fields).filter((entry): entry is [string, string] => !!entry[1]);
  return present.length ? `?${new URLSearchParams(present)}` : '';
};

export const api = {
  currentAgent: () => request<{ agent: Agent }>('GET', '/api/session').then((r) => r.agent),
  signIn: (email: string, password: string) =>
    request<{ agent: Agent }>('POST', '/api/session', { email, password }).then((r) => r.agent),
  signOut: () => request<void>('DELETE', '/api/session'),

  listConversations: (filter: Record<string, string | undefined>) =>
    request<Page<ListedConversation>>('GET', `/api/conversations${query(filter)}`),
  getConversation: (id: string) => request<Conversation>('GET', `/api/conversations/${id}`),
  updateConversation: (id: string, change: Partial<Pick<Conversation, 'status' | 'assignee_id'>>) =>
    request<Conversation>('PATCH', `/api/conversations/${id}`, change),
  markRead: (id: string) => request<unknown>('POST', `/api/conversations/${id}/read`),
  getCustomer: (id: string) => request<Customer>('GET', `/api/customers/${id}`),

  listMessages: (conversationId: string, cursor?: string) =>
    request<Page<Message>>(
      'GET',
      `/api/conversations/${conversationId}/messages${query({ cursor })}`,
    ),
  /** The key makes a repeated click or a resent request one message. */
  sendMessage: (fields: Record<string, unknown>, idempotencyKey: string) =>
    request<Message>(
      'POST',
      '/api/messages',
      { direction: 'outbound', ...fields },
      { 'idempotency-key': idempotencyKey },
    ),
  retryMessage: (id: string) => request<Message>('POST', `/api/messages/${id}/retry`),
  uploadAttachment: (file: File) => {
    const form = new FormData();
    form.append('file', file);
    return request<Attachment>('POST', '/api/attachments', form);
  },
};
