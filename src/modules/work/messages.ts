// The work module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const WORK = defineMessages('work', {
  dueBeforeStart: {
    en: 'the due date {due} is before the start {start}',
    es: 'la fecha de entrega ({due}) es anterior a la de inicio ({start})',
    'pt-BR': 'a data de entrega ({due}) é anterior à de início ({start})',
  },
  currencyLockedByExpenses: {
    en: 'the project has expenses in {currency}; its currency cannot change',
    es: 'el proyecto tiene gastos en {currency}; su moneda no puede cambiar',
    'pt-BR': 'o projeto tem despesas em {currency}; sua moeda não pode mudar',
  },
  currencyMustStay: {
    en: 'must stay {currency} while the project has expenses',
    es: 'debe seguir siendo {currency} mientras el proyecto tenga gastos',
    'pt-BR': 'deve continuar sendo {currency} enquanto o projeto tiver despesas',
  },
  assigneeNotMember: {
    en: 'the assignee must be a member of this organization',
    es: 'la persona asignada debe ser miembro de esta organización',
    'pt-BR': 'a pessoa designada deve ser membro desta organização',
  },
  watchersNotMembers: {
    en: 'watchers must be members of this organization',
    es: 'los seguidores deben ser miembros de esta organización',
    'pt-BR': 'os observadores devem ser membros desta organização',
  },
  onlyOwnTasks: {
    en: 'you can only change tasks assigned to you',
    es: 'Solo puede cambiar las tareas que tiene asignadas',
    'pt-BR': 'Você só pode alterar as tarefas atribuídas a você',
  },
  fieldsNeedManage: {
    en: 'changing {fields} needs tasks:manage',
    es: 'Cambiar {fields} requiere el permiso tasks:manage',
    'pt-BR': 'Alterar {fields} requer a permissão tasks:manage',
  },
  onlyOwnTaskWork: {
    en: 'you can only work on tasks assigned to you',
    es: 'Solo puede trabajar en las tareas que tiene asignadas',
    'pt-BR': 'Você só pode trabalhar nas tarefas atribuídas a você',
  },
  onlyAuthorComment: {
    en: 'only the author may change a comment (or someone with tasks:manage)',
    es: 'Solo el autor puede cambiar un comentario (o alguien con el permiso tasks:manage)',
    'pt-BR': 'Só o autor pode alterar um comentário (ou alguém com a permissão tasks:manage)',
  },
  othersTimeLog: {
    en: "logging someone else's time needs tasks:manage",
    es: 'Registrar el tiempo de otra persona requiere el permiso tasks:manage',
    'pt-BR': 'Registrar as horas de outra pessoa requer a permissão tasks:manage',
  },
  othersTimeDelete: {
    en: "deleting someone else's time needs tasks:manage",
    es: 'Eliminar el tiempo de otra persona requiere el permiso tasks:manage',
    'pt-BR': 'Excluir as horas de outra pessoa requer a permissão tasks:manage',
  },
  othersWatchers: {
    en: 'adding or removing other watchers needs tasks:manage',
    es: 'Añadir o quitar a otros seguidores requiere el permiso tasks:manage',
    'pt-BR': 'Adicionar ou remover outros observadores requer a permissão tasks:manage',
  },
  onlyOwnTaskFiles: {
    en: 'you can only attach files to tasks assigned to you',
    es: 'Solo puede adjuntar archivos a las tareas que tiene asignadas',
    'pt-BR': 'Você só pode anexar arquivos às tarefas atribuídas a você',
  },
  othersAttachmentDelete: {
    en: "deleting someone else's attachment needs tasks:manage",
    es: 'Eliminar el archivo adjunto de otra persona requiere el permiso tasks:manage',
    'pt-BR': 'Excluir o anexo de outra pessoa requer a permissão tasks:manage',
  },
  consentSourceRequired: {
    en: 'say where consent was given (form, call, e-mail...)',
    es: 'indique dónde se dio el consentimiento (formulario, llamada, correo electrónico…)',
    'pt-BR': 'informe onde o consentimento foi dado (formulário, ligação, e-mail…)',
  },
  consentInFuture: {
    en: 'consent cannot be given in the future',
    es: 'el consentimiento no puede tener una fecha futura',
    'pt-BR': 'o consentimento não pode ter uma data futura',
  },
  projectMoveNeeds: {
    en: 'moving a project from {from} to {to} needs {permission}',
    es: 'Pasar un proyecto de {from} a {to} requiere el permiso {permission}',
    'pt-BR': 'Passar um projeto de {from} para {to} requer a permissão {permission}',
  },
});
