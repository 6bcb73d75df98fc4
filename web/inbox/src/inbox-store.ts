import { api, ApiError, whenSignedOut } from './api';
import { connectLive, type LiveState } from './live-events';
import type { Agent, Conversation, Customer, LogEvent, Message } from './types';

export type AssigneeFilter = 'me' | 'none' | 'all';
export type StatusFilter = 'open' | 'closed';

export interface InboxState {
  /** undefined while the session is being checked, null when signed out. */
  agent: Agent | null | undefined;
  assignee: AssigneeFilter;
  status: StatusFilter;
  /** Every conversation the page knows of, whichever filter brought it. */
  conversations: Map<string, Conversation>;
  customers: Map<string, Customer>;
  nextCursor: string | null;
  listLoading: boolean;
  listError: string | null;
  openId: string | null;
  /** The open conversation's messages, by id. */
  messages: Map<string, Message>;
  earlierCursor: string | null;
  threadError: string | null;
  live: LiveState;
}

const initialState = (agent: Agent | null | undefined): InboxState => ({
  agent,
  assignee: 'all',
  status: 'open',
  conversations: new Map(),
  customers: new Map(),
  nextCursor: null,
  listLoading: false,
  listError: null,
  openId: null,
  messages: new Map(),
  earlierCursor: null,
  threadError: null,
  live: 'connecting',
});

/** A resource replaces what the page holds unless the page already has a later version of it. */
function upsert<T extends { id: string; updated_at: string }>(into: Map<string, T>, item: T) {
  const held = into.get(item.id);
  if (held && held.updated_at > item.updated_at) return false;
  into.set(item.id, item);
  return true;
}

const activityOf = (c: Conversation) => c.last_message_at ?? c.created_at;

/** Newest activity first, as the API pages them. */
export function visibleConversations(state: InboxState): Conversation[] {
  const agentId = state.agent?.id;
  return [...state.conversations.values()]
    .filter(
      (c) =>
        c.status === state.status &&
        (state.assignee === 'all' ||
          (state.assignee === 'me' ? c.assignee_id === agentId : c.assignee_id === null)),
    )
    .sort((a, b) => activityOf(b).localeCompare(activityOf(a)) || b.id.localeCompare(a.id));
}

export function threadMessages(state: InboxState): Message[] {
  // UUIDv7 ids sort by creation.
  return [...state.messages.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export function customerLabel(customer: Customer | undefined): string {
  if (!customer) return 'Customer';
  return customer.name || customer.phone || customer.email || customer.external_id || 'Customer';
}

/**
 * The page's state and every use-case that changes it. Components read the state and call these
 * methods; REST answers and live events land in the same maps, so neither can show a thing twice.
 */
export class InboxStore {
  state: InboxState = initialState(undefined);
  private listeners = new Set<() => void>();
  private disconnect: (() => void) | null = null;
  private refreshes = new Map<string, ReturnType<typeof setTimeout>>();
  private listRequest = 0;

  constructor() {
    whenSignedOut(() => this.signedOut());
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(change: Partial<InboxState> = {}) {
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }

  async start() {
    const agent = await api.currentAgent().catch(() => null);
    if (agent) this.signedIn(agent);
    else this.changed({ agent: null });
  }

  async signIn(email: string, password: string) {
    this.signedIn(await api.signIn(email, password));
  }

  async signOut() {
    await api.signOut().catch(() => undefined);
    this.signedOut();
  }

  private signedIn(agent: Agent) {
    this.state = initialState(agent);
    this.changed({ openId: conversationIdInLocation() });
    // Not waiting for the socket: it reloads once connected, for what changed in between.
    void this.loadConversations();
    this.disconnect = connectLive({
      onEvent: (event) => this.apply(event),
      onStale: () => void this.reload(),
      onStateChange: (live) => this.changed({ live }),
      onRefused: () => void api.currentAgent().catch(() => undefined),
    });
  }

  private signedOut() {
    this.disconnect?.();
    this.disconnect = null;
    for (const timer of this.refreshes.values()) clearTimeout(timer);
    this.refreshes.clear();
    this.state = initialState(null);
    this.changed();
  }

  /** The whole visible state again from the REST resources. */
  private async reload() {
    await Promise.all([
      this.loadConversations(),
      this.state.openId ? this.loadThread(this.state.openId) : undefined,
    ]);
  }

  setFilter(change: { assignee?: AssigneeFilter; status?: StatusFilter }) {
    this.changed(change);
    void this.loadConversations();
  }

  async loadConversations(cursor?: string) {
    const request = ++this.listRequest;
    const { assignee, status } = this.state;
    this.changed({ listLoading: true, listError: null });
    try {
      const page = await api.listConversations({
        assignee: assignee === 'all' ? undefined : assignee,
        status,
        cursor,
      });
      // An older request's conversations are still true, only its cursor belongs to another list.
      // A page names each conversation's customer, so the list shows names at once.
      for (const { customer, ...conversation } of page.data) {
        upsert(this.state.conversations, conversation);
        if (!this.state.customers.has(customer.id)) this.state.customers.set(customer.id, customer);
      }
      if (request === this.listRequest)
        this.changed({ nextCursor: page.next_cursor, listLoading: false });
    } catch (error) {
      if (request === this.listRequest)
        this.changed({ listLoading: false, listError: (error as Error).message });
    }
  }

  private async loadCustomers(ids: string[]) {
    const missing = [...new Set(ids)].filter((id) => !this.state.customers.has(id));
    const found = await Promise.all(missing.map((id) => api.getCustomer(id).catch(() => null)));
    for (const customer of found) if (customer) this.state.customers.set(customer.id, customer);
  }

  /** Opens the conversation the location names (links and Alt+J/K change the location). */
  async open(id: string | null) {
    if (id === this.state.openId && (id === null || this.state.messages.size > 0)) return;
    this.changed({ openId: id, messages: new Map(), earlierCursor: null, threadError: null });
    if (id) await this.loadThread(id);
  }

  private async loadThread(id: string) {
    try {
      const [page] = await Promise.all([
        api.listMessages(id),
        this.state.conversations.has(id) ? undefined : this.refreshConversation(id),
      ]);
      if (this.state.openId !== id) return;
      for (const message of page.data) upsert(this.state.messages, message);
      this.changed({ earlierCursor: page.next_cursor, threadError: null });
      await this.markRead(id);
    } catch (error) {
      if (this.state.openId === id) this.changed({ threadError: (error as Error).message });
    }
  }

  async loadEarlierMessages() {
    const { openId, earlierCursor } = this.state;
    if (!openId || !earlierCursor) return;
    const page = await api.listMessages(openId, earlierCursor);
    if (this.state.openId !== openId) return;
    for (const message of page.data) upsert(this.state.messages, message);
    this.changed({ earlierCursor: page.next_cursor });
  }

  private async markRead(id: string) {
    const conversation = this.state.conversations.get(id);
    if (conversation?.unread_count === 0) return;
    await api.markRead(id);
    await this.refreshConversation(id);
  }

  async send(fields: { body?: string; attachments?: string[] }, idempotencyKey: string) {
    const conversation = this.openConversation();
    const message = await api.sendMessage(
      { conversation_id: conversation.id, channel: conversation.channel, ...fields },
      idempotencyKey,
    );
    if (this.state.openId === conversation.id) upsert(this.state.messages, message);
    this.changed();
    this.scheduleRefresh(conversation.id);
  }

  async retry(messageId: string) {
    const message = await api.retryMessage(messageId);
    if (upsert(this.state.messages, message)) this.changed();
  }

  async update(change: Partial<Pick<Conversation, 'status' | 'assignee_id'>>) {
    const updated = await api.updateConversation(this.openConversation().id, change);
    upsert(this.state.conversations, updated);
    this.changed();
  }

  private openConversation(): Conversation {
    const conversation = this.state.openId && this.state.conversations.get(this.state.openId);
    if (!conversation) throw new ApiError(0, 'No conversation is open.');
    return conversation;
  }

  private apply(event: LogEvent) {
    switch (event.type) {
      case 'conversation.created':
      case 'conversation.updated': {
        const conversation = event.data as Conversation;
        void this.loadCustomers([conversation.customer_id]).then(() => {
          upsert(this.state.conversations, conversation);
          this.changed();
        });
        break;
      }
      case 'message.created':
      case 'message.updated': {
        const message = event.data as Message;
        if (message.conversation_id === this.state.openId && upsert(this.state.messages, message))
          this.changed();
        // The conversation's unread count and last message follow its messages.
        this.scheduleRefresh(message.conversation_id);
        break;
      }
      case 'customer.created': {
        const customer = event.data as Customer;
        this.state.customers.set(customer.id, customer);
        break;
      }
    }
  }

  /** Many events about one conversation arrive together: read it once for all of them. */
  private scheduleRefresh(id: string) {
    if (this.refreshes.has(id)) return;
    this.refreshes.set(
      id,
      setTimeout(() => {
        this.refreshes.delete(id);
        void this.refreshConversation(id)
          // The agent has it in front of them: what arrives is read as it arrives.
          .then(() => (id === this.state.openId ? this.markRead(id) : undefined))
          .catch(() => undefined); // the next change or reconnection reads it again
      }, 50),
    );
  }

  private async refreshConversation(id: string) {
    const conversation = await api.getConversation(id).catch(() => null);
    if (!conversation) return;
    await this.loadCustomers([conversation.customer_id]);
    upsert(this.state.conversations, conversation);
    this.changed();
  }
}

export function conversationIdInLocation(): string | null {
  return /^#\/conversations\/([\w-]+)$/.exec(location.hash)?.[1] ?? null;
}

export const conversationHref = (id: string) => `#/conversations/${id}`;
