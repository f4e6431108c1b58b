// The web app's entry: styles, messages, theme, session and routes.
import '@mantine/core/styles.css';
import './i18n/index.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import { LocalizedMantine } from './app/LocalizedMantine.tsx';
import { SessionProvider } from './session/SessionProvider.tsx';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <LocalizedMantine>
      <SessionProvider>
        <App />
      </SessionProvider>
    </LocalizedMantine>
  </StrictMode>,
);
