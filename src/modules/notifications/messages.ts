// The notifications module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const NOTIFICATIONS = defineMessages('notifications', {
  notAMember: {
    en: '{id} is not an active member of this organization',
    es: '{id} no es un miembro activo de esta organización',
    'pt-BR': '{id} não é um membro ativo desta organização',
  },
  unknownContact: {
    en: 'no client contact {id} in this organization',
    es: 'No hay ningún contacto de cliente {id} en esta organización',
    'pt-BR': 'Não há nenhum contato de cliente {id} nesta organização',
  },
  noRecipients: {
    en: 'name at least one member or client contact',
    es: 'Indique al menos un miembro o un contacto de cliente',
    'pt-BR': 'Indique pelo menos um membro ou um contato de cliente',
  },
  templateProblem: {
    en: 'line {line}, column {column}: {reason}',
    es: 'Línea {line}, columna {column}: {reason}',
    'pt-BR': 'Linha {line}, coluna {column}: {reason}',
  },
  messageOrTemplate: {
    en: 'give either a message or a template, not both',
    es: 'Indique un mensaje o una plantilla, no ambos',
    'pt-BR': 'Indique uma mensagem ou um modelo, não ambos',
  },
  messageOrTemplateMissing: {
    en: 'give a message or a template',
    es: 'Indique un mensaje o una plantilla',
    'pt-BR': 'Indique uma mensagem ou um modelo',
  },
  notReplayable: {
    en: 'only a dead or failed notification can be replayed (this one is {status})',
    es: 'Solo se puede reenviar una notificación muerta o fallida (esta está en {status})',
    'pt-BR': 'Só é possível reenviar uma notificação morta ou com falha (esta está em {status})',
  },
  unknownEventType: {
    en: 'no event type {type}: templates exist for catalogued events and {others}',
    es: 'No existe el tipo de evento {type}: hay plantillas para los eventos del catálogo y para {others}',
    'pt-BR': 'Não existe o tipo de evento {type}: há modelos para os eventos do catálogo e para {others}',
  },
  whatsappOnly: {
    en: 'an approved WhatsApp template belongs to a template of the whatsapp channel only',
    es: 'Una plantilla aprobada de WhatsApp solo corresponde a una plantilla del canal whatsapp',
    'pt-BR': 'Um modelo aprovado do WhatsApp só cabe em um modelo do canal whatsapp',
  },
});
