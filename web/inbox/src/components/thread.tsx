import { useEffect, useRef, useState } from 'preact/hooks';
import { customerLabel, threadMessages, type InboxState, type InboxStore } from '../inbox-store';
import { Composer } from './composer';
import { MessageItem } from './message-item';

export function Thread({ store, state }: { store: InboxStore; state: InboxState }) {
  const conversation = state.conversations.get(state.openId!);
  const messages = threadMessages(state);
  const log = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);

  // Follow new messages unless the agent scrolled up to read earlier ones.
  const lastId = messages.at(-1)?.id;
  const pinned = useRef(true);
  useEffect(() => {
    if (pinned.current && log.current) log.current.scrollTop = log.current.scrollHeight;
  }, [lastId]);

  if (!conversation)
    return state.threadError ? (
      <p class="placeholder" role="alert">
        {state.threadError}
      </p>
    ) : (
      <p class="placeholder">Loading the conversation…</p>
    );
  const name = customerLabel(state.customers.get(conversation.customer_id));
  const mine = conversation.assignee_id === state.agent!.id;

  const act = (action: () => Promise<unknown>) => {
    setError(null);
    action().catch((failure: Error) => setError(failure.message));
  };

  return (
    <section class="thread" aria-labelledby="thread-title">
      <header class="thread-head">
        <h2 id="thread-title">{name}</h2>
        <p class="facts">
          {conversation.channel} · {conversation.status} ·{' '}
          {mine
            ? 'assigned to you'
            : conversation.assignee_id
              ? 'assigned to another agent'
              : 'unassigned'}
        </p>
        <div class="actions">
          {!mine && (
            <button
              type="button"
              onClick={() => act(() => store.update({ assignee_id: state.agent!.id }))}
            >
              Assign to me
            </button>
          )}
          {conversation.status === 'open' ? (
            <button type="button" onClick={() => act(() => store.update({ status: 'closed' }))}>
              Close conversation
            </button>
          ) : (
            <button type="button" onClick={() => act(() => store.update({ status: 'open' }))}>
              Reopen
            </button>
          )}
        </div>
        <p class="error" role="alert">
          {error ?? state.threadError}
        </p>
      </header>
      <div
        class="log"
        role="log"
        aria-label={`Messages with ${name}`}
        tabIndex={0}
        ref={log}
        onScroll={(event) => {
          const box = event.currentTarget;
          pinned.current = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
        }}
      >
        {state.earlierCursor && (
          <button type="button" class="more" onClick={() => act(() => store.loadEarlierMessages())}>
            Earlier messages
          </button>
        )}
        <ol>
          {messages.map((message) => (
            <MessageItem
              key={message.id}
              message={message}
              onRetry={() => act(() => store.retry(message.id))}
            />
          ))}
        </ol>
      </div>
      <Composer store={store} channel={conversation.channel} />
    </section>
  );
}
