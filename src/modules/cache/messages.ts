// The cache module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const CACHE = defineMessages('cache', {
  oneScope: {
    en: 'name the scope of the tag: an organizationId, or platform: true (not both)',
    es: 'indique el ámbito de la etiqueta: un organizationId, o platform: true (no ambos)',
    'pt-BR': 'indique o escopo da etiqueta: um organizationId, ou platform: true (não ambos)',
  },
  noSuchOrganization: {
    en: 'there is no organization with this id',
    es: 'no existe ninguna organización con este id',
    'pt-BR': 'não existe nenhuma organização com este id',
  },
  oneScopeField: {
    en: 'give exactly one of organizationId and platform: true',
    es: 'indique exactamente uno de organizationId y platform: true',
    'pt-BR': 'informe exatamente um de organizationId e platform: true',
  },
});
