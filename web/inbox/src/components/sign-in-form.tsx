import { useState } from 'preact/hooks';
import type { InboxStore } from '../inbox-store';

export function SignInForm({ store }: { store: InboxStore }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(null);
    try {
      await store.signIn(String(form.get('email')), String(form.get('password')));
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Inbox</h1>
      <form onSubmit={submit}>
        <label for="sign-in-email">Email</label>
        <input id="sign-in-email" name="email" type="email" autocomplete="username" required />
        <label for="sign-in-password">Password</label>
        <input
          id="sign-in-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
        <p class="error" role="alert">
          {error}
        </p>
      </form>
    </main>
  );
}
