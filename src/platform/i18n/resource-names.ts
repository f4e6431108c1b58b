// The names of the resources that messages mention ("project not found", "the task is at version
// 3..."): English bare, Spanish and Portuguese with their article, which carries the gender.
import { defineMessages, type Msg } from './message.ts';

const NAMES = defineMessages('resource', {
  user: { en: 'user', es: 'el usuario', 'pt-BR': 'o usuário' },
  session: { en: 'session', es: 'la sesión', 'pt-BR': 'a sessão' },
  apiKey: { en: 'API key', es: 'la clave de API', 'pt-BR': 'a chave de API' },
  organization: { en: 'organization', es: 'la organización', 'pt-BR': 'a organização' },
  member: { en: 'member', es: 'el miembro', 'pt-BR': 'o membro' },
  invitation: { en: 'invitation', es: 'la invitación', 'pt-BR': 'o convite' },
  department: { en: 'department', es: 'el departamento', 'pt-BR': 'o departamento' },
  ipRule: { en: 'IP rule', es: 'la regla de IP', 'pt-BR': 'a regra de IP' },
  role: { en: 'role', es: 'el rol', 'pt-BR': 'o papel' },
  client: { en: 'client', es: 'el cliente', 'pt-BR': 'o cliente' },
  contact: { en: 'contact', es: 'el contacto', 'pt-BR': 'o contato' },
  project: { en: 'project', es: 'el proyecto', 'pt-BR': 'o projeto' },
  milestone: { en: 'milestone', es: 'el hito', 'pt-BR': 'o marco' },
  expense: { en: 'expense', es: 'el gasto', 'pt-BR': 'a despesa' },
  task: { en: 'task', es: 'la tarea', 'pt-BR': 'a tarefa' },
  comment: { en: 'comment', es: 'el comentario', 'pt-BR': 'o comentário' },
  timeEntry: { en: 'time entry', es: 'el registro de tiempo', 'pt-BR': 'o registro de horas' },
  attachment: { en: 'attachment', es: 'el archivo adjunto', 'pt-BR': 'o anexo' },
  contract: { en: 'contract', es: 'el contrato', 'pt-BR': 'o contrato' },
  deal: { en: 'deal', es: 'la oportunidad', 'pt-BR': 'a negociação' },
  invoice: { en: 'invoice', es: 'la factura', 'pt-BR': 'a fatura' },
  payment: { en: 'payment', es: 'el pago', 'pt-BR': 'o pagamento' },
  feedback: { en: 'feedback', es: 'la opinión', 'pt-BR': 'a avaliação' },
  webhookEndpoint: { en: 'webhook endpoint', es: 'el destino de webhook', 'pt-BR': 'o destino de webhook' },
  webhookDelivery: { en: 'webhook delivery', es: 'la entrega de webhook', 'pt-BR': 'a entrega de webhook' },
  eventFailure: { en: 'event failure', es: 'el fallo de evento', 'pt-BR': 'a falha de evento' },
  notification: { en: 'notification', es: 'la notificación', 'pt-BR': 'a notificação' },
  notificationChannel: {
    en: 'notification channel',
    es: 'el canal de notificación',
    'pt-BR': 'o canal de notificação',
  },
  notificationTemplate: {
    en: 'notification template',
    es: 'la plantilla de notificación',
    'pt-BR': 'o modelo de notificação',
  },
  notificationTemplateVersion: {
    en: 'template version',
    es: 'la versión de la plantilla',
    'pt-BR': 'a versão do modelo',
  },
  notificationRule: {
    en: 'notification rule',
    es: 'la regla de notificación',
    'pt-BR': 'a regra de notificação',
  },
  notificationAddress: { en: 'address', es: 'la dirección', 'pt-BR': 'o endereço' },
  notificationBatch: { en: 'notification batch', es: 'el envío', 'pt-BR': 'o envio' },
  alertRule: { en: 'alert rule', es: 'la regla de alerta', 'pt-BR': 'a regra de alerta' },
  alert: { en: 'alert', es: 'la alerta', 'pt-BR': 'o alerta' },
  backup: { en: 'backup', es: 'la copia de seguridad', 'pt-BR': 'o backup' },
  backupRestore: { en: 'restore', es: 'la restauración', 'pt-BR': 'a restauração' },
});

export type ResourceName = keyof typeof NAMES;

export const resourceName = (name: ResourceName): Msg => NAMES[name]();
