import { render } from 'preact';
import { App } from './components/app';
import { InboxStore } from './inbox-store';

const store = new InboxStore();
render(<App store={store} />, document.getElementById('app')!);
void store.start();
