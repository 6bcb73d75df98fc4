import { useEffect } from 'preact/hooks';
import {
  conversationHref,
  conversationIdInLocation,
  visibleConversations,
  type InboxState,
  type InboxStore,
} from '../inbox-store';
import { ConversationList } from './conversation-list';
import { Thread } from './thread';

const LIVE_LABELS = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' };

export function Inbox({ store, state }: { store: InboxStore; state: InboxState }) {
  useEffect(() => {
    const follow = () => void store.open(conversationIdInLocation());
    window.addEventListener('hashchange', follow);
    follow();
    return () => window.removeEventListener('hashchange', follow);
  }, [store]);

  useEffect(() => {
    const shortcut = (event: KeyboardEvent) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      // The key's place, not its character: Alt+J types "∆" on a Mac keyboard.
      const step = event.code === 'KeyJ' ? 1 : event.code === 'KeyK' ? -1 : 0;
      if (!step) return;
      event.preventDefault();
      const list = visibleConversations(store.state);
      const at = list.findIndex((c) => c.id === store.state.openId);
      const next = list[at === -1 ? 0 : Math.min(Math.max(at + step, 0), list.length - 1)];
      if (next) location.hash = conversationHref(next.id);
    };
    document.addEventListener('keydown', shortcut);
    return () => document.removeEventListener('keydown', shortcut);
  }, [store]);

  return (
    <div class="inbox">
      <header class="top-bar">
        <h1>Inbox</h1>
        <p class={`live ${state.live}`} role="status">
          {LIVE_LABELS[state.live]}
        </p>
        <p class="agent">{state.agent!.name}</p>
        <button type="button" onClick={() => void store.signOut()}>
          Sign out
        </button>
      </header>
      <ConversationList store={store} state={state} />
      <main class="thread-pane">
        {state.openId ? (
          <Thread key={state.openId} store={store} state={state} />
        ) : (
          <p class="placeholder">Choose a conversation. Alt+J and Alt+K move through the list.</p>
        )}
      </main>
    </div>
  );
}
