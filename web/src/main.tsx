// The web app's entry: styles, messages, data cache, theme, session and routes.
import '@mantine/core/styles.css';
import './i18n/index.ts';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { queryClient } from './api/queries.ts';
import { App } from './app/App.tsx';
import { LocalizedMantine } from './app/LocalizedMantine.tsx';
import { SessionProvider } from './session/SessionProvider.tsx';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <LocalizedMantine>
        <SessionProvider>
          <App />
        </SessionProvider>
      </LocalizedMantine>
    </QueryClientProvider>
  </StrictMode>,
);
