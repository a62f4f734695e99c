import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from '../../src/client/index.js';
import { ImageGenProvider } from '../../src/react/index.js';
import { App, type Session } from './App.js';

const SESSION_KEY = 'imagegen.react.session';
const saved = localStorage.getItem(SESSION_KEY);
let session: Session | null = saved ? (JSON.parse(saved) as Session) : null;

// One client for the page; it reads the token at each request, so signing in needs no new client.
const client = createClient({ token: () => session?.token });

const root = createRoot(document.getElementById('root')!);
const render = () =>
  root.render(
    <StrictMode>
      <ImageGenProvider client={client}>
        <App
          session={session}
          onSession={(next) => {
            session = next;
            if (next) localStorage.setItem(SESSION_KEY, JSON.stringify(next));
            else localStorage.removeItem(SESSION_KEY);
            render();
          }}
        />
      </ImageGenProvider>
    </StrictMode>,
  );
render();
