// The analytics module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const ANALYTICS = defineMessages('analytics', {
  asOfRange: {
    en: 'asOf must be between 1970 and 9999',
    es: 'asOf debe estar entre 1970 y 9999',
    'pt-BR': 'asOf deve estar entre 1970 e 9999',
  },
  asOfRangeField: {
    en: 'must be a time between 1970 and 9999',
    es: 'debe ser un momento entre 1970 y 9999',
    'pt-BR': 'deve ser um momento entre 1970 e 9999',
  },
  globalScope: {
    en: 'the global scope is for platform administrators (super admins)',
    es: 'El ámbito global está reservado a los administradores de la plataforma (superadministradores)',
    'pt-BR': 'O escopo global é reservado aos administradores da plataforma (superadministradores)',
  },
  organizationTrendOnly: {
    en: '{metric} is counted per organization only: ask for it with scope=org',
    es: '{metric} se cuenta solo por organización: pídalo con scope=org',
    'pt-BR': '{metric} é contado apenas por organização: peça-o com scope=org',
  },
});
