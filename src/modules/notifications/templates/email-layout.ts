// The HTML part of a notification e-mail: the rendered body (variables already escaped) turned
// into paragraphs, inside a minimal layout that mail clients and screen readers handle well
// (lang, a role="article" region labelled by the subject, inline styles only, no images), with a
// footer carrying the one-click unsubscribe link when the notification has one.
import type { Locale } from '../../../platform/i18n/locale.ts';

const FOOTER: Record<Locale, { why: string; unsubscribe: string }> = {
  en: {
    why: 'You received this e-mail because of your notification settings.',
    unsubscribe: 'Unsubscribe from these e-mails',
  },
  es: {
    why: 'Recibes este correo por tu configuración de notificaciones.',
    unsubscribe: 'Dejar de recibir estos correos',
  },
  'pt-BR': {
    why: 'Você recebeu este e-mail por causa das suas configurações de notificação.',
    unsubscribe: 'Cancelar a inscrição nestes e-mails',
  },
};

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&#34;')
    .replaceAll("'", '&#39;');
}

// http(s) URLs in already-escaped text: they hold no raw quote or angle bracket to break out of href.
const URL_IN_TEXT = /(?<![="'])\bhttps?:\/\/[^\s<>"']+/g;

function linkify(escaped: string): string {
  return escaped.replace(URL_IN_TEXT, (match) => {
    const url = match.replace(/[.,;:!?)]+$/, '');
    return `<a href="${url}">${url}</a>${match.slice(url.length)}`;
  });
}

/**
 * Paragraphs on blank lines, `<br>` on single newlines. `rendered` comes from the HTML-escaping
 * Liquid instance: variables are escaped, markup the template's author wrote is kept as written
 * (and then not auto-linked, so an author's own links stay whole).
 */
export function textToHtml(rendered: string): string {
  const autolink = !/<a[\s>]/i.test(rendered);
  return rendered
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map(
      (p) =>
        `<p style="margin:0 0 16px">${p
          .split('\n')
          .map((line) => (autolink ? linkify(line) : line))
          .join('<br>\n')}</p>`,
    )
    .join('\n');
}

export interface EmailLayoutInput {
  language: Locale;
  subject: string | null;
  /** Paragraph HTML from textToHtml(). */
  contentHtml: string;
  unsubscribeUrl: string | null;
}

export function emailLayout(input: EmailLayoutInput): string {
  const title = escapeHtml(input.subject ?? '');
  const footer = FOOTER[input.language] ?? FOOTER.en;
  const unsubscribe =
    input.unsubscribeUrl && /^https?:\/\//i.test(input.unsubscribeUrl)
      ? `<footer style="max-width:600px;margin:0 auto;padding:16px 24px;font-size:13px;line-height:1.5;color:#57606a">
<p style="margin:0">${escapeHtml(footer.why)} <a href="${escapeHtml(input.unsubscribeUrl)}" style="color:#57606a">${escapeHtml(footer.unsubscribe)}</a></p>
</footer>\n`
      : '';
  return `<!DOCTYPE html>
<html lang="${escapeHtml(input.language)}" dir="ltr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${title}</title>
</head>
<body style="margin:0;padding:24px 0;background-color:#f6f8fa">
<div role="article" aria-roledescription="email" aria-label="${title}" lang="${escapeHtml(input.language)}" style="max-width:600px;margin:0 auto;padding:24px;background-color:#ffffff;color:#1f2328;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5">
${input.contentHtml}
</div>
${unsubscribe}</body>
</html>
`;
}
