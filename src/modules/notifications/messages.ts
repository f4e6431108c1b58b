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
  builtinRuleNotDeletable: {
    en: 'a built-in rule cannot be deleted; disable it instead (enabled: false)',
    es: 'Una regla predefinida no se puede eliminar; desactívela (enabled: false)',
    'pt-BR': 'Uma regra predefinida não pode ser excluída; desative-a (enabled: false)',
  },
  unknownRole: {
    en: 'no role {id} in this organization',
    es: 'No hay ningún rol {id} en esta organización',
    'pt-BR': 'Não há nenhum papel {id} nesta organização',
  },
  unknownDepartment: {
    en: 'no department {id} in this organization',
    es: 'No hay ningún departamento {id} en esta organización',
    'pt-BR': 'Não há nenhum departamento {id} nesta organização',
  },
  badTimeZone: {
    en: '"{zone}" is not a known IANA time zone (e.g. America/New_York)',
    es: '«{zone}» no es una zona horaria IANA conocida (p. ej., America/New_York)',
    'pt-BR': '“{zone}” não é um fuso horário IANA conhecido (ex.: America/Sao_Paulo)',
  },
  badClock: {
    en: '"{clock}" is not a time of day HH:MM from 00:00 to 23:59',
    es: '«{clock}» no es una hora del día HH:MM entre 00:00 y 23:59',
    'pt-BR': '“{clock}” não é um horário HH:MM entre 00:00 e 23:59',
  },
  badPhone: {
    en: 'must be a phone number in international E.164 form, e.g. +14155550123',
    es: 'Debe ser un número de teléfono en formato internacional E.164, p. ej., +34600123456',
    'pt-BR': 'Deve ser um número de telefone no formato internacional E.164, ex.: +5511987654321',
  },
  rangeOrder: {
    en: 'must be after from',
    es: 'Debe ser posterior a from',
    'pt-BR': 'Deve ser posterior a from',
  },
  rangeTooLong: {
    en: 'the period may span at most {days} days',
    es: 'El periodo puede abarcar como máximo {days} días',
    'pt-BR': 'O período pode abranger no máximo {days} dias',
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
  tooManyAddresses: {
    en: 'at most {max} addresses per channel; remove one first',
    es: 'Como máximo {max} direcciones por canal; elimine una primero',
    'pt-BR': 'No máximo {max} endereços por canal; remova um primeiro',
  },
});

/** Channels (providers) and their test sends: channel-service.ts. */
export const NOTIFICATION_CHANNELS = defineMessages('notification-channels', {
  badUrl: {
    en: 'must be an absolute http or https URL without user name or password',
    es: 'Debe ser una URL absoluta http o https sin usuario ni contraseña',
    'pt-BR': 'Deve ser uma URL absoluta http ou https sem usuário nem senha',
  },
  hostNotFound: {
    en: 'the host {host} does not resolve to an address',
    es: 'El servidor {host} no se resuelve a ninguna dirección',
    'pt-BR': 'O servidor {host} não resolve para nenhum endereço',
  },
  privateAddress: {
    en: 'the host {host} resolves to {address}, a loopback, link-local, private or reserved address; providers are called at public addresses only',
    es: 'El servidor {host} se resuelve a {address}, una dirección local, privada o reservada; solo se llama a proveedores en direcciones públicas',
    'pt-BR':
      'O servidor {host} resolve para {address}, um endereço local, privado ou reservado; só se chamam provedores em endereços públicos',
  },
  badServiceAccount: {
    en: 'must be the service account JSON key file (with project_id, client_email and private_key)',
    es: 'Debe ser el archivo JSON de la clave de la cuenta de servicio (con project_id, client_email y private_key)',
    'pt-BR':
      'Deve ser o arquivo JSON da chave da conta de serviço (com project_id, client_email e private_key)',
  },
  tooManyProviders: {
    en: 'a channel kind has at most {limit} providers; {kind} has that many already',
    es: 'Un tipo de canal admite como máximo {limit} proveedores; {kind} ya tiene esa cantidad',
    'pt-BR': 'Um tipo de canal admite no máximo {limit} provedores; {kind} já tem essa quantidade',
  },
  secretsOrPatch: {
    en: 'give either secrets (replaces them all) or secretsPatch (changes some), not both',
    es: 'Indique secrets (los reemplaza todos) o secretsPatch (cambia algunos), no ambos',
    'pt-BR': 'Indique secrets (substitui todos) ou secretsPatch (altera alguns), não ambos',
  },
  addressRequired: {
    en: 'give the address to send the test to ({kind} needs one)',
    es: 'Indique la dirección a la que enviar la prueba ({kind} la necesita)',
    'pt-BR': 'Indique o endereço para onde enviar o teste ({kind} precisa de um)',
  },
  noAddress: {
    en: '{kind} posts to the URL in its settings; give no address',
    es: '{kind} publica en la URL de su configuración; no indique ninguna dirección',
    'pt-BR': '{kind} publica na URL da sua configuração; não indique nenhum endereço',
  },
  badPhone: {
    en: 'must be a phone number in E.164 form (+ and the country code, e.g. +5511987654321)',
    es: 'Debe ser un número de teléfono en formato E.164 (+ y el código de país, p. ej. +5511987654321)',
    'pt-BR': 'Deve ser um número de telefone no formato E.164 (+ e o código do país, ex. +5511987654321)',
  },
  credentialsUnreadable: {
    en: "the channel's credentials cannot be opened with this installation's master key; enter them again",
    es: 'Las credenciales del canal no se pueden abrir con la clave maestra de esta instalación; vuelva a introducirlas',
    'pt-BR':
      'As credenciais do canal não podem ser abertas com a chave mestra desta instalação; informe-as novamente',
  },
});
