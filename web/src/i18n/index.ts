// i18next with the three catalogues bundled (they are small), the language detected from the
// browser and remembered when the user picks one.
import i18n from 'i18next';
import LanguageDetector from 'i18next-browser-languagedetector';
import { initReactI18next } from 'react-i18next';
import { en } from './en.ts';
import { es } from './es.ts';
import { ptBR } from './pt-BR.ts';

export const LANGUAGES = [
  { code: 'en', label: 'English' },
  { code: 'es', label: 'Español' },
  { code: 'pt-BR', label: 'Português (Brasil)' },
] as const;

// Keep <html lang> in step (screen readers, hyphenation); registered before init sees the first language.
i18n.on('languageChanged', (lng) => {
  document.documentElement.lang = lng;
});

void i18n
  .use(LanguageDetector)
  .use(initReactI18next)
  .init({
    resources: { en: { translation: en }, es: { translation: es }, 'pt-BR': { translation: ptBR } },
    supportedLngs: ['en', 'es', 'pt-BR'],
    // "pt" and "pt-PT" browsers get Brazilian Portuguese rather than English.
    fallbackLng: { pt: ['pt-BR'], default: ['en'] },
    nonExplicitSupportedLngs: false,
    load: 'currentOnly',
    interpolation: { escapeValue: false }, // React escapes
    detection: {
      order: ['localStorage', 'navigator'],
      caches: ['localStorage'],
      lookupLocalStorage: 'bul.language',
    },
    returnNull: false,
  });

export default i18n;
