// The system module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const SYSTEM = defineMessages('system', {
  metricsToken: {
    en: '/metrics needs Authorization: Bearer <METRICS_TOKEN>',
    es: '/metrics necesita Authorization: Bearer <METRICS_TOKEN>',
    'pt-BR': '/metrics precisa de Authorization: Bearer <METRICS_TOKEN>',
  },
  healthRangeOrder: {
    en: 'must be after from',
    es: 'Debe ser posterior a from',
    'pt-BR': 'Deve ser posterior a from',
  },
  unknownHealthCheck: {
    en: 'No health check {check} that you can see',
    es: 'No hay ninguna comprobación de salud {check} que pueda ver',
    'pt-BR': 'Não há nenhuma verificação de saúde {check} que você possa ver',
  },
});
