// The system module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const SYSTEM = defineMessages('system', {
  metricsToken: {
    en: '/metrics needs Authorization: Bearer <METRICS_TOKEN>',
    es: '/metrics necesita Authorization: Bearer <METRICS_TOKEN>',
    'pt-BR': '/metrics precisa de Authorization: Bearer <METRICS_TOKEN>',
  },
});
