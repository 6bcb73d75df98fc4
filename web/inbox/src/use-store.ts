import { useEffect, useState } from 'preact/hooks';
import type { InboxState, InboxStore } from './inbox-store';

/** The store's state, re-rendering the caller on every change. */
export function useStoreState(store: InboxStore): InboxState {
  const [state, setState] = useState(store.state);
  useEffect(() => store.subscribe(() => setState(store.state)), [store]);
  return state;
}
