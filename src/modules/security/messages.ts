// The security module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const SECURITY = defineMessages('security', {
  fromAfterTo: {
    en: 'must be later than from ({from})',
    es: 'Debe ser posterior a from ({from})',
    'pt-BR': 'Deve ser posterior a from ({from})',
  },
  platformScope: {
    en: 'scope=platform shows the threats of the whole installation: super admins only',
    es: 'scope=platform muestra las amenazas de toda la instalación: solo para superadministradores',
    'pt-BR': 'scope=platform mostra as ameaças de toda a instalação: apenas para superadministradores',
  },
  threatNotFound: {
    en: 'no threat with this id in this scope',
    es: 'No hay ninguna amenaza con este id en este ámbito',
    'pt-BR': 'Não há nenhuma ameaça com este id neste escopo',
  },
  alreadyDismissed: {
    en: 'the threat was already dismissed',
    es: 'La amenaza ya se descartó',
    'pt-BR': 'A ameaça já foi descartada',
  },
});
