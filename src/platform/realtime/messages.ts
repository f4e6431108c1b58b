// The texts of /ws: why a client message was refused or its connection closed.
import { defineMessages } from '../i18n/message.ts';

export const REALTIME = defineMessages('realtime', {
  notJson: {
    en: 'a message must be a JSON object; the connection is closed',
    es: 'Un mensaje debe ser un objeto JSON; se cierra la conexión',
    'pt-BR': 'Uma mensagem deve ser um objeto JSON; a conexão foi encerrada',
  },
  badMessage: {
    en: 'the message is not valid',
    es: 'El mensaje no es válido',
    'pt-BR': 'A mensagem não é válida',
  },
  oneOf: {
    en: 'must be one of {values}',
    es: 'debe ser uno de {values}',
    'pt-BR': 'deve ser um de {values}',
  },
  uuid: {
    en: 'must be a valid uuid',
    es: 'debe ser un UUID válido',
    'pt-BR': 'deve ser um UUID válido',
  },
  text: {
    en: 'must be a text of 1 to {limit} characters',
    es: 'debe ser un texto de 1 a {limit} caracteres',
    'pt-BR': 'deve ser um texto de 1 a {limit} caracteres',
  },
  eventList: {
    en: 'must be a list of 1 to {limit} event types or subject.* patterns from the event catalogue',
    es: 'debe ser una lista de 1 a {limit} tipos de evento o patrones sujeto.* del catálogo de eventos',
    'pt-BR': 'deve ser uma lista de 1 a {limit} tipos de evento ou padrões assunto.* do catálogo de eventos',
  },
  idNeedsResource: {
    en: 'needs resource',
    es: 'necesita resource',
    'pt-BR': 'precisa de resource',
  },
  otherOrganization: {
    en: 'this connection belongs to organization {org}; open another connection for another organization; the connection is closed',
    es: 'Esta conexión pertenece a la organización {org}; abra otra conexión para otra organización; se cierra la conexión',
    'pt-BR':
      'Esta conexão pertence à organização {org}; abra outra conexão para outra organização; a conexão foi encerrada',
  },
  tooManySubscriptions: {
    en: 'a connection may hold at most {limit} subscriptions',
    es: 'Una conexión puede tener como máximo {limit} suscripciones',
    'pt-BR': 'Uma conexão pode ter no máximo {limit} assinaturas',
  },
  duplicateSubscription: {
    en: 'this connection already has a subscription {id}',
    es: 'Esta conexión ya tiene una suscripción {id}',
    'pt-BR': 'Esta conexão já tem uma assinatura {id}',
  },
  noSuchSubscription: {
    en: 'this connection has no subscription {id}',
    es: 'Esta conexión no tiene ninguna suscripción {id}',
    'pt-BR': 'Esta conexão não tem nenhuma assinatura {id}',
  },
  flood: {
    en: 'more than {limit} messages per second; the connection is closed',
    es: 'Más de {limit} mensajes por segundo; se cierra la conexión',
    'pt-BR': 'Mais de {limit} mensagens por segundo; a conexão foi encerrada',
  },
  credentialsEnded: {
    en: 'the credentials of this connection are no longer valid; the connection is closed',
    es: 'Las credenciales de esta conexión ya no son válidas; se cierra la conexión',
    'pt-BR': 'As credenciais desta conexão não são mais válidas; a conexão foi encerrada',
  },
  originRefused: {
    en: 'a browser session may open /ws only from this site (Origin {origin} is not allowed)',
    es: 'Una sesión de navegador solo puede abrir /ws desde este sitio (el origen {origin} no está permitido)',
    'pt-BR':
      'Uma sessão de navegador só pode abrir /ws a partir deste site (a origem {origin} não é permitida)',
  },
  processFull: {
    en: 'this server holds as many realtime connections as it may; try again shortly (another server may take it)',
    es: 'Este servidor tiene tantas conexiones en tiempo real como puede; inténtelo de nuevo en breve (otro servidor puede aceptarla)',
    'pt-BR':
      'Este servidor já tem todas as conexões em tempo real que pode; tente novamente em instantes (outro servidor pode aceitá-la)',
  },
  tooManyConnections: {
    en: 'at most {limit} realtime connections per user or API key on one server',
    es: 'Como máximo {limit} conexiones en tiempo real por usuario o clave de API en un servidor',
    'pt-BR': 'No máximo {limit} conexões em tempo real por usuário ou chave de API em um servidor',
  },
  notWebSocket: {
    en: '/ws answers WebSocket upgrade requests only',
    es: '/ws solo responde a solicitudes de actualización a WebSocket',
    'pt-BR': '/ws responde apenas a solicitações de upgrade para WebSocket',
  },
});
