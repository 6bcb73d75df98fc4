import { useEffect, useLayoutEffect, useRef } from 'preact/hooks';
import {
  conversationHref,
  customerLabel,
  visibleConversations,
  type AssigneeFilter,
  type InboxState,
  type InboxStore,
  type StatusFilter,
} from '../inbox-store';
import type { Conversation } from '../types';
import { shortTime } from './time';

const ASSIGNEE_FILTERS: [AssigneeFilter, string][] = [
  ['me', 'Mine'],
  ['none', 'Unassigned'],
  ['all', 'All'],
];
const STATUS_FILTERS: [StatusFilter, string][] = [
  ['open', 'Open'],
  ['closed', 'Closed'],
];

export function ConversationList({ store, state }: { store: InboxStore; state: InboxState }) {
  const list = visibleConversations(state);
  const nav = useRef<HTMLElement>(null);

  // Re-sorting moves a conversation's element, and a moved element loses the focus: a keyboard
  // user tabbing through the list while messages arrive would be thrown back to the page's top.
  // The link focused before this render gets it back after.
  const focusedHref = focusedLinkHref(nav.current);
  useLayoutEffect(() => {
    if (!focusedHref || document.activeElement?.getAttribute('href') === focusedHref) return;
    nav.current
      ?.querySelector<HTMLElement>(`a[href="${CSS.escape(focusedHref)}"]`)
      ?.focus({ preventScroll: true });
  });

  // A keyboard user moving with Alt+J/K from the list keeps the focus on the open conversation.
  useEffect(() => {
    const focused = document.activeElement;
    if (focused instanceof HTMLAnchorElement && nav.current?.contains(focused))
      nav.current.querySelector<HTMLElement>('[aria-current="page"]')?.focus();
  }, [state.openId]);

  return (
    <nav class="conversations" aria-label="Conversations" ref={nav}>
      <div class="filters">
        <div role="group" aria-label="Assigned to">
          {ASSIGNEE_FILTERS.map(([value, label]) => (
            <button
              type="button"
              aria-pressed={state.assignee === value}
              onClick={() => store.setFilter({ assignee: value })}
            >
              {label}
            </button>
          ))}
        </div>
        <div role="group" aria-label="Status">
          {STATUS_FILTERS.map(([value, label]) => (
            <button
              type="button"
              aria-pressed={state.status === value}
              onClick={() => store.setFilter({ status: value })}
            >
              {label}
            </button>
          ))}
        </div>
      </div>
      <ul>
        {list.map((conversation) => (
          <ConversationLink
            key={conversation.id}
            conversation={conversation}
            name={customerLabel(state.customers.get(conversation.customer_id))}
            open={conversation.id === state.openId}
          />
        ))}
      </ul>
      {state.listError && <p class="error">{state.listError}</p>}
      {!state.listLoading && list.length === 0 && !state.listError && (
        <p class="empty">No conversations here.</p>
      )}
      {state.nextCursor && (
        <button
          type="button"
          class="more"
          disabled={state.listLoading}
          onClick={() => void store.loadConversations(state.nextCursor!)}
        >
          More conversations
        </button>
      )}
    </nav>
  );
}

function focusedLinkHref(nav: HTMLElement | null): string | null {
  const focused = document.activeElement;
  return focused instanceof HTMLAnchorElement && nav?.contains(focused)
    ? focused.getAttribute('href')
    : null;
}

function ConversationLink({
  conversation,
  name,
  open,
}: {
  conversation: Conversation;
  name: string;
  open: boolean;
}) {
  const last = conversation.last_message;
  const unread = conversation.unread_count;
  return (
    <li>
      <a
        href={conversationHref(conversation.id)}
        aria-current={open ? 'page' : undefined}
        class={unread > 0 ? 'unread' : undefined}
      >
        <span class="name">{name}</span> <span class="channel">{conversation.channel}</span>{' '}
        {unread > 0 && <span class="badge">{unread} unread</span>}{' '}
        {last && (
          <span class="preview">
            {last.direction === 'outbound' ? 'You: ' : ''}
            {last.body ?? 'Attachment'}
          </span>
        )}{' '}
        {conversation.last_message_at && (
          <time dateTime={conversation.last_message_at}>
            {shortTime(conversation.last_message_at)}
          </time>
        )}
      </a>
    </li>
  );
}
