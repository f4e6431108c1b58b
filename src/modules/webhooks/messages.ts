// The webhooks module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const WEBHOOKS = defineMessages('webhooks', {
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
    en: 'the host {host} resolves to {address}, a loopback, link-local, private or reserved address; webhooks go to public addresses only',
    es: 'El servidor {host} se resuelve a {address}, una dirección local, privada o reservada; los webhooks solo se envían a direcciones públicas',
    'pt-BR':
      'O servidor {host} resolve para {address}, um endereço local, privado ou reservado; os webhooks só vão para endereços públicos',
  },
  unknownEventType: {
    en: 'unknown event type "{type}"; known types: {known}',
    es: 'Tipo de evento desconocido «{type}»; tipos conocidos: {known}',
    'pt-BR': 'Tipo de evento desconhecido “{type}”; tipos conhecidos: {known}',
  },
  deliveryNotResendable: {
    en: 'the endpoint of this delivery is disabled; enable it first',
    es: 'El destino de esta entrega está desactivado; actívelo primero',
    'pt-BR': 'O destino desta entrega está desativado; ative-o primeiro',
  },
});
