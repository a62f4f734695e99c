import { useEffect } from 'react';
import { isImageGenApiError } from '../../src/client/index.js';
import { useCredits } from '../../src/react/index.js';
import { BatchPanel } from './BatchPanel.js';
import { History } from './History.js';
import { SignIn } from './SignIn.js';
import { TransformPanel } from './TransformPanel.js';

/** Who is signed in: the reference server's `/auth/sign-in` answer. */
export interface Session {
  token: string;
  username: string;
}

export interface AppProps {
  session: Session | null;
  onSession(session: Session | null): void;
}

/** The sign-in form, or the studio of the signed-in user. */
export function App({ session, onSession }: AppProps) {
  return (
    <>
      <header>
        <h1>imagegen-kit · React</h1>
        {session && <Account session={session} onSignOut={() => onSession(null)} />}
      </header>
      {session ? (
        // A new key per user: no state of the previous one survives a sign-in.
        <main key={session.username}>
          <TransformPanel />
          <BatchPanel />
          <History />
        </main>
      ) : (
        <main>
          <SignIn onSignedIn={onSession} />
        </main>
      )}
    </>
  );
}

function Account({ session, onSignOut }: { session: Session; onSignOut(): void }) {
  const credits = useCredits({ limit: 1 });
  // A token the server no longer knows: back to the sign-in form.
  useEffect(() => {
    if (isImageGenApiError(credits.error) && credits.error.status === 401) onSignOut();
  }, [credits.error, onSignOut]);
  const signOut = () => {
    void fetch('/auth/sign-out', { method: 'POST', headers: { Authorization: `Bearer ${session.token}` } });
    onSignOut();
  };
  return (
    <div>
      <strong data-testid="credits">{credits.balance ?? '–'}</strong> credits · <span data-testid="user">{session.username}</span>{' '}
      <button type="button" className="link" onClick={signOut} data-testid="sign-out">
        Sign out
      </button>
    </div>
  );
}
