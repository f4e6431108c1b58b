// The small HTML page of an unsubscribe link, in the reader's language: a confirm button (GET
// never changes anything: link scanners open e-mail links), the result, or a bad link. Nothing in
// it comes from the request but the token, which is escaped.
import type { Locale } from '../../platform/i18n/locale.ts';

const TEXTS: Record<Locale, Record<'title' | 'confirm' | 'button' | 'done' | 'invalid', string>> = {
  en: {
    title: 'Unsubscribe',
    confirm: 'Stop receiving these e-mail notifications?',
    button: 'Unsubscribe',
    done: 'You are unsubscribed. You will not receive these e-mail notifications any more.',
    invalid:
      'This unsubscribe link is not valid. Copy the whole link from the e-mail, or change your preferences in BUL.',
  },
  es: {
    title: 'Cancelar la suscripción',
    confirm: '¿Dejar de recibir estas notificaciones por correo?',
    button: 'Cancelar la suscripción',
    done: 'Suscripción cancelada. Ya no recibirá estas notificaciones por correo.',
    invalid:
      'Este enlace para cancelar la suscripción no es válido. Copie el enlace completo del correo o cambie sus preferencias en BUL.',
  },
  'pt-BR': {
    title: 'Cancelar inscrição',
    confirm: 'Parar de receber estas notificações por e-mail?',
    button: 'Cancelar inscrição',
    done: 'Inscrição cancelada. Você não receberá mais estas notificações por e-mail.',
    invalid:
      'Este link para cancelar a inscrição não é válido. Copie o link completo do e-mail ou altere suas preferências no BUL.',
  },
};

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function unsubscribePage(o: {
  language: Locale;
  state: 'confirm' | 'done' | 'invalid';
  token: string | null;
}) {
  const t = TEXTS[o.language];
  const body =
    o.state === 'confirm' && o.token
      ? `<p>${t.confirm}</p>
    <form method="post" action="?token=${escapeHtml(encodeURIComponent(o.token))}">
      <input type="hidden" name="List-Unsubscribe" value="One-Click">
      <button type="submit">${t.button}</button>
    </form>`
      : `<p role="status">${o.state === 'done' ? t.done : t.invalid}</p>`;
  return `<!doctype html>
<html lang="${o.language}">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="robots" content="noindex">
    <title>${t.title} · BUL</title>
    <style>
      body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #1f2328; }
      button { font: inherit; padding: .5rem 1rem; border-radius: .375rem; border: 1px solid #1f6feb; background: #1f6feb; color: #fff; cursor: pointer; }
    </style>
  </head>
  <body>
    <main>
      <h1>${t.title}</h1>
      ${body}
    </main>
  </body>
</html>`;
}
