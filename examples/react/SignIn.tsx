import { type FormEvent, useState } from 'react';
import type { Session } from './App.js';

/** Sign-in of the reference server (`POST /auth/sign-in`): a new username is an account with 20 credits. */
export function SignIn({ onSignedIn }: { onSignedIn(session: Session): void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const response = await fetch('/auth/sign-in', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: form.get('username'), password: form.get('password') }),
      });
      const body = (await response.json()) as { token?: string; username?: string; error?: string };
      if (!response.ok || !body.token || !body.username) throw new Error(body.error ?? 'Sign-in failed');
      onSignedIn({ token: body.token, username: body.username });
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="sign-in-title">
      <h2 id="sign-in-title">Sign in or sign up</h2>
      <p className="muted">A new username is created on first sign-in, with 20 free credits.</p>
      <form onSubmit={submit}>
        <label>
          Username <input name="username" autoComplete="username" required maxLength={64} data-testid="username" />
        </label>
        <label>
          Password <input name="password" type="password" autoComplete="current-password" required minLength={8} data-testid="password" />
        </label>
        {error && (
          <p className="error" role="alert" data-testid="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy} data-testid="sign-in">
          Sign in
        </button>
      </form>
    </section>
  );
}
