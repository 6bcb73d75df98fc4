import type { InboxStore } from '../inbox-store';
import { useStoreState } from '../use-store';
import { Inbox } from './inbox';
import { SignInForm } from './sign-in-form';

export function App({ store }: { store: InboxStore }) {
  const state = useStoreState(store);
  if (state.agent === undefined) return <p class="loading">Loading…</p>;
  if (state.agent === null) return <SignInForm store={store} />;
  return <Inbox store={store} state={state} />;
}
