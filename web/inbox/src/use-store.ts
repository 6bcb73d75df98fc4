import { useEffect, useState } from 'preact/hooks';
import type { InboxState, InboxStore } from './inbox-store';

/** The store's state, re-rendering the caller on every change. */
export function useStoreState(store: InboxStore): InboxState {
  const [state, setState] = useState(store.state);
  useEffect(() => {
    const unsubscribe = store.subscribe(() => setState(store.state));
    // Effects run after the first paint: a change that landed in between (a fast answer to the
    // session check) told no one, and the page would wait on "Loading…" for good.
    setState(store.state);
    return unsubscribe;
  }, [store]);
  return state;
}
