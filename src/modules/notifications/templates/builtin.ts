// The built-in templates of the built-in notification rules, in en, es and pt-BR, for every
// channel that carries text. Each event has four texts per language: a subject, a short text
// (push body; SMS and chat add the link), a longer body (e-mail and the in-app inbox) and
// optionally an SMS text of its own where the short one plus the link would pass 160 characters.
// WhatsApp sends an approved template `bul_<event>` whose body parameters are listed here (the
// templates themselves are registered at Meta by the organization). An organization edits copies
// of these (template versions); these stay as the fallback and the starting point.
import type { Locale } from '../../../platform/i18n/locale.ts';
import type { DeliveryChannel } from '../channels/provider.ts';
import type { WhatsappTemplateRef } from './engine.ts';

export interface BuiltinTemplate {
  eventType: string;
  channel: DeliveryChannel;
  language: Locale;
  subject: string | null;
  body: string;
  whatsappTemplate: WhatsappTemplateRef | null;
}

interface EventTexts {
  subject: string;
  short: string;
  long: string;
  sms?: string;
}

interface EventDefinition {
  texts: Record<Locale, EventTexts>;
  /** WhatsApp body parameters {{1}}, {{2}}... (Liquid), the same in every language. */
  whatsapp: string[];
}

const BY = '{{ actor.name | default: org.name }}';
const DUE = '{{ payload.dueDate | local_date }}';
const WHEN = '{{ event.occurredAt | local_datetime }}';
const IS_COMPLETED = "{% if payload.to == 'completed' %}";
const WRONG_PASSWORD = "{% if payload.reason == 'wrong_password' %}";

const EVENTS: Record<string, EventDefinition> = {
  'task.assigned': {
    texts: {
      en: {
        subject: 'Task assigned: {{ resource.title }}',
        short: `${BY} assigned you "{{ resource.title }}"{% if resource.dueDate %}, due {{ resource.dueDate | local_date }}{% endif %}.`,
        long: `Hi {{ recipient.name }},

${BY} assigned you the task "{{ resource.title }}" in the project {{ resource.projectName }}.{% if resource.dueDate %} It is due on {{ resource.dueDate | local_date }}.{% endif %}

Open the task: {{ link }}`,
      },
      es: {
        subject: 'Tarea asignada: {{ resource.title }}',
        short: `${BY} te asignó "{{ resource.title }}"{% if resource.dueDate %}, con vencimiento el {{ resource.dueDate | local_date }}{% endif %}.`,
        long: `Hola, {{ recipient.name }}:

${BY} te asignó la tarea "{{ resource.title }}" del proyecto {{ resource.projectName }}.{% if resource.dueDate %} Vence el {{ resource.dueDate | local_date }}.{% endif %}

Abrir la tarea: {{ link }}`,
        sms: 'Nueva tarea: "{{ resource.title | truncate: 50 }}". {{ link }}',
      },
      'pt-BR': {
        subject: 'Tarefa atribuída: {{ resource.title }}',
        short: `${BY} atribuiu a você a tarefa "{{ resource.title }}"{% if resource.dueDate %}, com prazo em {{ resource.dueDate | local_date }}{% endif %}.`,
        long: `Olá, {{ recipient.name }},

${BY} atribuiu a você a tarefa "{{ resource.title }}" do projeto {{ resource.projectName }}.{% if resource.dueDate %} O prazo é {{ resource.dueDate | local_date }}.{% endif %}

Abrir a tarefa: {{ link }}`,
        sms: 'Nova tarefa: "{{ resource.title | truncate: 50 }}". {{ link }}',
      },
    },
    whatsapp: [
      '{{ recipient.name }}',
      '{{ resource.title }}',
      '{{ resource.dueDate | local_date }}',
      '{{ link }}',
    ],
  },

  'task.due_soon': {
    texts: {
      en: {
        subject: `Due ${DUE}: {{ resource.title }}`,
        short: `Reminder: "{{ resource.title }}" is due on ${DUE}.`,
        long: `Hi {{ recipient.name }},

The task "{{ resource.title }}" in the project {{ resource.projectName }} is due on ${DUE}.

Open the task: {{ link }}`,
      },
      es: {
        subject: `Vence el ${DUE}: {{ resource.title }}`,
        short: `Recordatorio: "{{ resource.title }}" vence el ${DUE}.`,
        long: `Hola, {{ recipient.name }}:

La tarea "{{ resource.title }}" del proyecto {{ resource.projectName }} vence el ${DUE}.

Abrir la tarea: {{ link }}`,
        sms: `"{{ resource.title | truncate: 45 }}" vence el ${DUE}. {{ link }}`,
      },
      'pt-BR': {
        subject: `Prazo em ${DUE}: {{ resource.title }}`,
        short: `Lembrete: "{{ resource.title }}" vence em ${DUE}.`,
        long: `Olá, {{ recipient.name }},

A tarefa "{{ resource.title }}" do projeto {{ resource.projectName }} vence em ${DUE}.

Abrir a tarefa: {{ link }}`,
      },
    },
    whatsapp: ['{{ recipient.name }}', '{{ resource.title }}', DUE, '{{ link }}'],
  },

  'project.status_changed': {
    texts: {
      en: {
        subject: `${IS_COMPLETED}Project completed: {{ resource.name }}{% else %}{{ resource.name }} is now {{ payload.to | status }}{% endif %}`,
        short: `${IS_COMPLETED}${BY} marked the project {{ resource.name }} as completed.{% else %}The project {{ resource.name }} is now {{ payload.to | status }} (before: {{ payload.from | status }}).{% endif %}`,
        long: `Hi {{ recipient.name }},

${IS_COMPLETED}${BY} marked the project {{ resource.name }} as completed.{% else %}${BY} changed the status of the project {{ resource.name }} from {{ payload.from | status }} to {{ payload.to | status }}.{% endif %}

Open the project: {{ link }}`,
      },
      es: {
        subject: `${IS_COMPLETED}Proyecto completado: {{ resource.name }}{% else %}{{ resource.name }} ahora está {{ payload.to | status }}{% endif %}`,
        short: `${IS_COMPLETED}${BY} marcó el proyecto {{ resource.name }} como completado.{% else %}El proyecto {{ resource.name }} ahora está {{ payload.to | status }} (antes: {{ payload.from | status }}).{% endif %}`,
        long: `Hola, {{ recipient.name }}:

${IS_COMPLETED}${BY} marcó el proyecto {{ resource.name }} como completado.{% else %}${BY} cambió el estado del proyecto {{ resource.name }} de {{ payload.from | status }} a {{ payload.to | status }}.{% endif %}

Abrir el proyecto: {{ link }}`,
      },
      'pt-BR': {
        subject: `${IS_COMPLETED}Projeto concluído: {{ resource.name }}{% else %}{{ resource.name }} agora está {{ payload.to | status }}{% endif %}`,
        short: `${IS_COMPLETED}${BY} marcou o projeto {{ resource.name }} como concluído.{% else %}O projeto {{ resource.name }} agora está {{ payload.to | status }} (antes: {{ payload.from | status }}).{% endif %}`,
        long: `Olá, {{ recipient.name }},

${IS_COMPLETED}${BY} marcou o projeto {{ resource.name }} como concluído.{% else %}${BY} mudou o status do projeto {{ resource.name }} de {{ payload.from | status }} para {{ payload.to | status }}.{% endif %}

Abrir o projeto: {{ link }}`,
      },
    },
    whatsapp: [
      '{{ resource.name }}',
      '{{ payload.from | status }}',
      '{{ payload.to | status }}',
      '{{ link }}',
    ],
  },

  'comment.added': {
    texts: {
      en: {
        subject: 'New comment on {{ resource.title }}',
        short: `${BY} commented on "{{ resource.title }}": {{ resource.excerpt | truncate: 100 }}`,
        long: `Hi {{ recipient.name }},

${BY} commented on the task "{{ resource.title }}":

"{{ resource.excerpt }}"

See the comment: {{ link }}`,
        sms: `${BY} commented on "{{ resource.title | truncate: 40 }}". {{ link }}`,
      },
      es: {
        subject: 'Nuevo comentario en {{ resource.title }}',
        short: `${BY} comentó en "{{ resource.title }}": {{ resource.excerpt | truncate: 100 }}`,
        long: `Hola, {{ recipient.name }}:

${BY} comentó en la tarea "{{ resource.title }}":

"{{ resource.excerpt }}"

Ver el comentario: {{ link }}`,
        sms: `${BY} comentó en "{{ resource.title | truncate: 40 }}". {{ link }}`,
      },
      'pt-BR': {
        subject: 'Novo comentário em {{ resource.title }}',
        short: `${BY} comentou em "{{ resource.title }}": {{ resource.excerpt | truncate: 100 }}`,
        long: `Olá, {{ recipient.name }},

${BY} comentou na tarefa "{{ resource.title }}":

"{{ resource.excerpt }}"

Ver o comentário: {{ link }}`,
        sms: `${BY} comentou em "{{ resource.title | truncate: 40 }}". {{ link }}`,
      },
    },
    whatsapp: [BY, '{{ resource.title }}', '{{ resource.excerpt | truncate: 200 }}', '{{ link }}'],
  },

  'security.locked_out': {
    texts: {
      en: {
        subject: 'Sign-in locked: {{ resource.name }}',
        short:
          "Sign-in to {{ resource.name }}'s account is locked for {{ payload.lockedForSeconds | duration }} after repeated failed attempts.",
        long: `Hi {{ recipient.name }},

After repeated failed attempts, sign-in to {{ resource.name }}'s account is locked for {{ payload.lockedForSeconds | duration }}.

If the account's owner did not make these attempts, change the password and turn on multi-factor authentication.

Security settings: {{ link }}`,
      },
      es: {
        subject: 'Inicio de sesión bloqueado: {{ resource.name }}',
        short:
          'El inicio de sesión en la cuenta de {{ resource.name }} quedó bloqueado durante {{ payload.lockedForSeconds | duration }} tras varios intentos fallidos.',
        long: `Hola, {{ recipient.name }}:

Tras varios intentos fallidos, el inicio de sesión en la cuenta de {{ resource.name }} quedó bloqueado durante {{ payload.lockedForSeconds | duration }}.

Si esos intentos no los hizo el titular de la cuenta, cambia la contraseña y activa la autenticación multifactor.

Configuración de seguridad: {{ link }}`,
      },
      'pt-BR': {
        subject: 'Acesso bloqueado: {{ resource.name }}',
        short:
          'O acesso à conta de {{ resource.name }} foi bloqueado por {{ payload.lockedForSeconds | duration }} após várias tentativas malsucedidas.',
        long: `Olá, {{ recipient.name }},

Após várias tentativas malsucedidas, o acesso à conta de {{ resource.name }} foi bloqueado por {{ payload.lockedForSeconds | duration }}.

Se essas tentativas não foram feitas pelo titular da conta, altere a senha e ative a autenticação multifator.

Configurações de segurança: {{ link }}`,
      },
    },
    whatsapp: ['{{ resource.name }}', '{{ payload.lockedForSeconds | duration }}', '{{ link }}'],
  },

  'security.mfa_changed': {
    texts: {
      en: {
        subject:
          'Multi-factor authentication {% if payload.enabled %}turned on{% else %}turned off{% endif %}: {{ resource.name }}',
        short:
          "Multi-factor authentication was turned {% if payload.enabled %}on{% else %}off{% endif %} for {{ resource.name }}'s account.",
        long: `Hi {{ recipient.name }},

Multi-factor authentication was turned {% if payload.enabled %}on{% else %}off{% endif %} for {{ resource.name }}'s account on ${WHEN}.

If the account's owner did not do this, change the password at once and tell an administrator.

Security settings: {{ link }}`,
      },
      es: {
        subject:
          'Autenticación multifactor {% if payload.enabled %}activada{% else %}desactivada{% endif %}: {{ resource.name }}',
        short:
          'Se {% if payload.enabled %}activó{% else %}desactivó{% endif %} la autenticación multifactor en la cuenta de {{ resource.name }}.',
        long: `Hola, {{ recipient.name }}:

El ${WHEN} se {% if payload.enabled %}activó{% else %}desactivó{% endif %} la autenticación multifactor en la cuenta de {{ resource.name }}.

Si no fue el titular de la cuenta, cambia la contraseña de inmediato y avisa a un administrador.

Configuración de seguridad: {{ link }}`,
      },
      'pt-BR': {
        subject:
          'Autenticação multifator {% if payload.enabled %}ativada{% else %}desativada{% endif %}: {{ resource.name }}',
        short:
          'A autenticação multifator foi {% if payload.enabled %}ativada{% else %}desativada{% endif %} na conta de {{ resource.name }}.',
        long: `Olá, {{ recipient.name }},

Em ${WHEN}, a autenticação multifator foi {% if payload.enabled %}ativada{% else %}desativada{% endif %} na conta de {{ resource.name }}.

Se não foi o titular da conta, altere a senha imediatamente e avise um administrador.

Configurações de segurança: {{ link }}`,
      },
    },
    whatsapp: ['{{ resource.name }}', WHEN, '{{ link }}'],
  },

  'security.login_failed': {
    texts: {
      en: {
        subject: 'Failed sign-in: {{ resource.name }}',
        short: `A sign-in to {{ resource.name }}'s account failed${WRONG_PASSWORD} (wrong password){% endif %} on ${WHEN}.`,
        long: `Hi {{ recipient.name }},

A sign-in to {{ resource.name }}'s account failed${WRONG_PASSWORD} (wrong password){% endif %} on ${WHEN}.

If the account's owner did not try to sign in, consider changing the password.

Security settings: {{ link }}`,
      },
      es: {
        subject: 'Inicio de sesión fallido: {{ resource.name }}',
        short: `Falló un inicio de sesión en la cuenta de {{ resource.name }}${WRONG_PASSWORD} (contraseña incorrecta){% endif %} el ${WHEN}.`,
        long: `Hola, {{ recipient.name }}:

Falló un inicio de sesión en la cuenta de {{ resource.name }}${WRONG_PASSWORD} (contraseña incorrecta){% endif %} el ${WHEN}.

Si no fue el titular de la cuenta, conviene cambiar la contraseña.

Configuración de seguridad: {{ link }}`,
      },
      'pt-BR': {
        subject: 'Tentativa de acesso malsucedida: {{ resource.name }}',
        short: `Uma tentativa de acesso à conta de {{ resource.name }} falhou${WRONG_PASSWORD} (senha incorreta){% endif %} em ${WHEN}.`,
        long: `Olá, {{ recipient.name }},

Uma tentativa de acesso à conta de {{ resource.name }} falhou${WRONG_PASSWORD} (senha incorreta){% endif %} em ${WHEN}.

Se não foi o titular da conta, é recomendável alterar a senha.

Configurações de segurança: {{ link }}`,
      },
    },
    whatsapp: ['{{ resource.name }}', WHEN, '{{ link }}'],
  },

  'member.joined': {
    texts: {
      en: {
        subject: '{{ resource.name }} joined {{ org.name }}',
        short: '{{ resource.name }} accepted the invitation and joined {{ org.name }}.',
        long: `Hi {{ recipient.name }},

{{ resource.name }} accepted the invitation and joined {{ org.name }}.

See the members: {{ link }}`,
      },
      es: {
        subject: '{{ resource.name }} se unió a {{ org.name }}',
        short: '{{ resource.name }} aceptó la invitación y se unió a {{ org.name }}.',
        long: `Hola, {{ recipient.name }}:

{{ resource.name }} aceptó la invitación y se unió a {{ org.name }}.

Ver los miembros: {{ link }}`,
      },
      'pt-BR': {
        subject: '{{ resource.name }} entrou em {{ org.name }}',
        short: '{{ resource.name }} aceitou o convite e entrou em {{ org.name }}.',
        long: `Olá, {{ recipient.name }},

{{ resource.name }} aceitou o convite e entrou em {{ org.name }}.

Ver os membros: {{ link }}`,
      },
    },
    whatsapp: ['{{ resource.name }}', '{{ org.name }}'],
  },

  'webhook.endpoint_disabled': {
    texts: {
      en: {
        subject: 'Webhook endpoint disabled: {{ payload.url }}',
        short:
          'BUL disabled the webhook endpoint {{ payload.url }}: every delivery has failed since {{ payload.failingSince | local_date }}.',
        sms: 'Webhook endpoint {{ payload.url | truncate: 60 }} disabled, failing since {{ payload.failingSince | local_date }}. {{ link }}',
        long: `Hi {{ recipient.name }},

BUL disabled the webhook endpoint {{ payload.url }} because every delivery to it has failed since {{ payload.failingSince | local_date }}.

Fix the endpoint, then turn it on again in the webhook settings: {{ link }}`,
      },
      es: {
        subject: 'Endpoint de webhook desactivado: {{ payload.url }}',
        short:
          'BUL desactivó el endpoint de webhook {{ payload.url }}: todas las entregas fallan desde el {{ payload.failingSince | local_date }}.',
        sms: 'Webhook {{ payload.url | truncate: 60 }} desactivado: falla desde el {{ payload.failingSince | local_date }}. {{ link }}',
        long: `Hola, {{ recipient.name }}:

BUL desactivó el endpoint de webhook {{ payload.url }} porque todas las entregas fallan desde el {{ payload.failingSince | local_date }}.

Corrige el endpoint y vuelve a activarlo en la configuración de webhooks: {{ link }}`,
      },
      'pt-BR': {
        subject: 'Endpoint de webhook desativado: {{ payload.url }}',
        short:
          'O BUL desativou o endpoint de webhook {{ payload.url }}: todas as entregas falham desde {{ payload.failingSince | local_date }}.',
        sms: 'Webhook {{ payload.url | truncate: 60 }} desativado: falhando desde {{ payload.failingSince | local_date }}. {{ link }}',
        long: `Olá, {{ recipient.name }},

O BUL desativou o endpoint de webhook {{ payload.url }} porque todas as entregas falham desde {{ payload.failingSince | local_date }}.

Corrija o endpoint e reative-o nas configurações de webhooks: {{ link }}`,
      },
    },
    whatsapp: ['{{ payload.url }}', '{{ payload.failingSince | local_date }}', '{{ link }}'],
  },

  'alert.fired': {
    texts: {
      en: {
        subject: '[{{ payload.severity | upcase }}] Alert: {{ payload.title }}',
        short:
          'Alert {{ payload.severity }}: {{ payload.title }} (value {{ payload.value }}){% if payload.scope == "platform" %}, platform-wide{% endif %}.',
        long: `Hi {{ recipient.name }},

The alert "{{ payload.title }}" ({{ payload.severity }}, {{ payload.type }}) fired at {{ payload.firedAt | local_datetime }}{% if payload.scope == "platform" %} for the whole platform{% else %} in {{ org.name }}{% endif %}. The value that breached: {{ payload.value }}.

Acknowledge it or see its history: {{ link }}`,
      },
      es: {
        subject: '[{{ payload.severity | upcase }}] Alerta: {{ payload.title }}',
        short:
          'Alerta {{ payload.severity }}: {{ payload.title }} (valor {{ payload.value }}){% if payload.scope == "platform" %}, en toda la plataforma{% endif %}.',
        long: `Hola, {{ recipient.name }}:

La alerta "{{ payload.title }}" ({{ payload.severity }}, {{ payload.type }}) se disparó el {{ payload.firedAt | local_datetime }}{% if payload.scope == "platform" %} en toda la plataforma{% else %} en {{ org.name }}{% endif %}. El valor que superó el umbral: {{ payload.value }}.

Reconócela o consulta su historial: {{ link }}`,
      },
      'pt-BR': {
        subject: '[{{ payload.severity | upcase }}] Alerta: {{ payload.title }}',
        short:
          'Alerta {{ payload.severity }}: {{ payload.title }} (valor {{ payload.value }}){% if payload.scope == "platform" %}, em toda a plataforma{% endif %}.',
        long: `Olá, {{ recipient.name }},

O alerta "{{ payload.title }}" ({{ payload.severity }}, {{ payload.type }}) disparou em {{ payload.firedAt | local_datetime }}{% if payload.scope == "platform" %} em toda a plataforma{% else %} em {{ org.name }}{% endif %}. O valor que ultrapassou o limite: {{ payload.value }}.

Reconheça-o ou veja o histórico: {{ link }}`,
      },
    },
    whatsapp: ['{{ payload.severity }}', '{{ payload.title }}', '{{ payload.value }}', '{{ link }}'],
  },

  'backup.failed': {
    texts: {
      en: {
        subject: 'Backup failed: {{ payload.type }} ({{ payload.errorCode }})',
        short:
          'The {{ payload.type }} backup failed after {{ payload.attempt }} attempt(s): {{ payload.errorCode }}.',
        long: `Hi {{ recipient.name }},

The {{ payload.type }} backup {{ payload.backupId }} failed on its last attempt ({{ payload.attempt }}) at ${WHEN}.

Reason ({{ payload.errorCode }}): {{ payload.message }}

Until a backup succeeds, the last good one gets older. See the run and try again: {{ link }}`,
      },
      es: {
        subject: 'Copia de seguridad fallida: {{ payload.type }} ({{ payload.errorCode }})',
        short:
          'La copia {{ payload.type }} falló tras {{ payload.attempt }} intento(s): {{ payload.errorCode }}.',
        long: `Hola, {{ recipient.name }}:

La copia de seguridad {{ payload.type }} {{ payload.backupId }} falló en su último intento ({{ payload.attempt }}) el ${WHEN}.

Motivo ({{ payload.errorCode }}): {{ payload.message }}

Hasta que una copia se complete, la última correcta envejece. Consulte la ejecución y vuelva a intentarlo: {{ link }}`,
      },
      'pt-BR': {
        subject: 'Backup falhou: {{ payload.type }} ({{ payload.errorCode }})',
        short:
          'O backup {{ payload.type }} falhou após {{ payload.attempt }} tentativa(s): {{ payload.errorCode }}.',
        long: `Olá, {{ recipient.name }},

O backup {{ payload.type }} {{ payload.backupId }} falhou na última tentativa ({{ payload.attempt }}) em ${WHEN}.

Motivo ({{ payload.errorCode }}): {{ payload.message }}

Até que um backup seja concluído, o último bom fica mais antigo. Veja a execução e tente de novo: {{ link }}`,
      },
    },
    whatsapp: ['{{ payload.type }}', '{{ payload.errorCode }}', '{{ link }}'],
  },

  'alert.resolved': {
    texts: {
      en: {
        subject: 'Resolved: {{ payload.title }}',
        short:
          'Resolved{% if payload.resolution == "manual" %} by hand{% endif %}: {{ payload.title }} ({{ payload.severity }}).',
        long: `Hi {{ recipient.name }},

The alert "{{ payload.title }}" ({{ payload.severity }}) was resolved at {{ payload.resolvedAt | local_datetime }}{% if payload.resolution == "manual" %} by hand{% else %}: its condition cleared{% endif %}.

Its history: {{ link }}`,
      },
      es: {
        subject: 'Resuelta: {{ payload.title }}',
        short:
          'Resuelta{% if payload.resolution == "manual" %} manualmente{% endif %}: {{ payload.title }} ({{ payload.severity }}).',
        long: `Hola, {{ recipient.name }}:

La alerta "{{ payload.title }}" ({{ payload.severity }}) se resolvió el {{ payload.resolvedAt | local_datetime }}{% if payload.resolution == "manual" %} manualmente{% else %}: su condición dejó de cumplirse{% endif %}.

Su historial: {{ link }}`,
      },
      'pt-BR': {
        subject: 'Resolvido: {{ payload.title }}',
        short:
          'Resolvido{% if payload.resolution == "manual" %} manualmente{% endif %}: {{ payload.title }} ({{ payload.severity }}).',
        long: `Olá, {{ recipient.name }},

O alerta "{{ payload.title }}" ({{ payload.severity }}) foi resolvido em {{ payload.resolvedAt | local_datetime }}{% if payload.resolution == "manual" %} manualmente{% else %}: a condição deixou de valer{% endif %}.

O histórico: {{ link }}`,
      },
    },
    whatsapp: ['{{ payload.title }}', '{{ payload.severity }}', '{{ link }}'],
  },

  'notification.test': {
    texts: {
      en: {
        subject: 'Test message from {{ org.name }}',
        short: 'Test message: the {{ payload.channel }} channel of {{ org.name }} works.',
        long: `Hi {{ recipient.name }},

This is a test message from ${BY} to check the {{ payload.channel }} channel of {{ org.name }}. If you can read it, the channel works.

No action is needed.`,
      },
      es: {
        subject: 'Mensaje de prueba de {{ org.name }}',
        short: 'Mensaje de prueba: el canal {{ payload.channel }} de {{ org.name }} funciona.',
        long: `Hola, {{ recipient.name }}:

Este es un mensaje de prueba de ${BY} para comprobar el canal {{ payload.channel }} de {{ org.name }}. Si puedes leerlo, el canal funciona.

No hace falta hacer nada.`,
      },
      'pt-BR': {
        subject: 'Mensagem de teste de {{ org.name }}',
        short: 'Mensagem de teste: o canal {{ payload.channel }} de {{ org.name }} está funcionando.',
        long: `Olá, {{ recipient.name }},

Esta é uma mensagem de teste de ${BY} para verificar o canal {{ payload.channel }} de {{ org.name }}. Se você consegue lê-la, o canal está funcionando.

Nenhuma ação é necessária.`,
      },
    },
    whatsapp: ['{{ org.name }}'],
  },

  'message.custom': {
    texts: {
      en: { subject: '{{ payload.subject }}', short: '{{ payload.body }}', long: '{{ payload.body }}' },
      es: { subject: '{{ payload.subject }}', short: '{{ payload.body }}', long: '{{ payload.body }}' },
      'pt-BR': { subject: '{{ payload.subject }}', short: '{{ payload.body }}', long: '{{ payload.body }}' },
    },
    whatsapp: ['{{ payload.subject }}', '{{ payload.body }}'],
  },

  'security.new_login_location': {
    texts: {
      en: {
        subject: 'New sign-in to your account from {{ payload.device }}',
        short: `Your account was signed in to from {{ payload.device }} at {{ payload.ip }}{% if payload.country %} ({{ payload.country }}){% endif %} on ${WHEN}.`,
        long: `Hi {{ recipient.name }},

Your account was signed in to on ${WHEN} from somewhere new:

Device: {{ payload.device }}
Address: {{ payload.ip }} (network {{ payload.network }}){% if payload.country %}
Country: {{ payload.country }}{% endif %}

If this was you, there is nothing to do. If not, change your password, sign out your other sessions and turn on multi-factor authentication.

Security settings: {{ link }}`,
        sms: 'New sign-in from {{ payload.device | truncate: 40 }} ({{ payload.ip }}). Not you? {{ link }}',
      },
      es: {
        subject: 'Nuevo inicio de sesión en tu cuenta desde {{ payload.device }}',
        short: `Se inició sesión en tu cuenta desde {{ payload.device }} en {{ payload.ip }}{% if payload.country %} ({{ payload.country }}){% endif %} el ${WHEN}.`,
        long: `Hola, {{ recipient.name }}:

El ${WHEN} se inició sesión en tu cuenta desde un lugar nuevo:

Dispositivo: {{ payload.device }}
Dirección: {{ payload.ip }} (red {{ payload.network }}){% if payload.country %}
País: {{ payload.country }}{% endif %}

Si fuiste tú, no hace falta hacer nada. Si no, cambia la contraseña, cierra tus otras sesiones y activa la autenticación multifactor.

Configuración de seguridad: {{ link }}`,
        sms: 'Nuevo inicio de sesión desde {{ payload.device | truncate: 40 }} ({{ payload.ip }}). ¿No fuiste tú? {{ link }}',
      },
      'pt-BR': {
        subject: 'Novo acesso à sua conta a partir de {{ payload.device }}',
        short: `Sua conta foi acessada a partir de {{ payload.device }} em {{ payload.ip }}{% if payload.country %} ({{ payload.country }}){% endif %} em ${WHEN}.`,
        long: `Olá, {{ recipient.name }},

Em ${WHEN}, sua conta foi acessada a partir de um lugar novo:

Dispositivo: {{ payload.device }}
Endereço: {{ payload.ip }} (rede {{ payload.network }}){% if payload.country %}
País: {{ payload.country }}{% endif %}

Se foi você, não é preciso fazer nada. Se não, altere a senha, encerre suas outras sessões e ative a autenticação multifator.

Configurações de segurança: {{ link }}`,
        sms: 'Novo acesso a partir de {{ payload.device | truncate: 40 }} ({{ payload.ip }}). Não foi você? {{ link }}',
      },
    },
    whatsapp: ['{{ payload.device }}', '{{ payload.ip }}', WHEN, '{{ link }}'],
  },
};

/** For events without a built-in template of their own. */
const GENERIC: Record<Locale, EventTexts> = {
  en: {
    subject: 'New activity in {{ org.name }}',
    short: 'New activity in {{ org.name }}: {{ event.type }}.',
    long: `Hi {{ recipient.name }},

There is new activity in {{ org.name }}: {{ event.type }}.

Open BUL: {{ link }}`,
  },
  es: {
    subject: 'Nueva actividad en {{ org.name }}',
    short: 'Nueva actividad en {{ org.name }}: {{ event.type }}.',
    long: `Hola, {{ recipient.name }}:

Hay nueva actividad en {{ org.name }}: {{ event.type }}.

Abrir BUL: {{ link }}`,
  },
  'pt-BR': {
    subject: 'Nova atividade em {{ org.name }}',
    short: 'Nova atividade em {{ org.name }}: {{ event.type }}.',
    long: `Olá, {{ recipient.name }},

Há nova atividade em {{ org.name }}: {{ event.type }}.

Abrir o BUL: {{ link }}`,
  },
};

const LANGUAGES: readonly Locale[] = ['en', 'es', 'pt-BR'];
/** Meta's language codes for the approved WhatsApp templates. */
const WHATSAPP_LANGUAGE: Record<Locale, string> = { en: 'en', es: 'es', 'pt-BR': 'pt_BR' };

/** Messages that are not about a resource: the short text goes without the link. */
const WITHOUT_LINK = new Set(['notification.test', 'message.custom']);

/** `task.assigned` → `bul_task_assigned` (Meta allows lowercase letters, digits and underscores). */
export const whatsappTemplateName = (eventType: string) =>
  `bul_${eventType.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;

function templateFor(
  eventType: string,
  channel: DeliveryChannel,
  language: Locale,
  t: EventTexts,
  whatsapp: string[],
): BuiltinTemplate {
  const withLink = (text: string) =>
    text.includes('{{ link }}') || WITHOUT_LINK.has(eventType) ? text : `${text}\n{{ link }}`;
  const base = { eventType, channel, language, whatsappTemplate: null };
  switch (channel) {
    case 'email':
    case 'in_app':
      return { ...base, subject: t.subject, body: t.long };
    case 'push':
      return { ...base, subject: t.subject, body: t.short };
    case 'sms':
      return { ...base, subject: null, body: t.sms ?? withLink(t.short) };
    case 'whatsapp':
      return {
        ...base,
        subject: null,
        body: t.short,
        whatsappTemplate: {
          name: whatsappTemplateName(eventType),
          language: WHATSAPP_LANGUAGE[language],
          parameters: whatsapp,
        },
      };
    default: // slack, teams, discord, webhook: a heading and the short text with the link
      return { ...base, subject: t.subject, body: withLink(t.short) };
  }
}

const TEXT_CHANNELS: readonly DeliveryChannel[] = [
  'email',
  'sms',
  'push',
  'slack',
  'teams',
  'discord',
  'webhook',
  'in_app',
  'whatsapp',
];

export const BUILTIN_TEMPLATES: readonly BuiltinTemplate[] = Object.entries(EVENTS).flatMap(
  ([eventType, def]) =>
    TEXT_CHANNELS.flatMap((channel) =>
      LANGUAGES.map((language) =>
        templateFor(eventType, channel, language, def.texts[language], def.whatsapp),
      ),
    ),
);

export const BUILTIN_EVENT_TYPES: readonly string[] = Object.keys(EVENTS);

/**
 * The built-in template of an event for a channel and language: the language asked, else English.
 * Every text channel has one (e-mail and in-app share the long body; SMS, push and the chat and
 * webhook channels the short text). Null when the event has no built-in template: use
 * genericTemplate().
 */
export function builtinTemplate(
  eventType: string,
  channel: DeliveryChannel,
  language: Locale,
): BuiltinTemplate | null {
  const find = (lang: Locale) =>
    BUILTIN_TEMPLATES.find((t) => t.eventType === eventType && t.channel === channel && t.language === lang);
  return find(language) ?? find('en') ?? null;
}

/** A plain "new activity" template for events without a built-in one (any channel, any language). */
export function genericTemplate(
  eventType: string,
  channel: DeliveryChannel,
  language: Locale,
): BuiltinTemplate {
  const lang = Object.hasOwn(GENERIC, language) ? language : 'en';
  return templateFor(eventType, channel, lang, GENERIC[lang], [
    '{{ org.name }}',
    '{{ event.type }}',
    '{{ link }}',
  ]);
}
