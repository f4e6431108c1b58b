// The work module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const WORK = defineMessages('work', {
  clientHasFinancialHistory: {
    en: 'the client has {records}; deleting it would rewrite past revenue, MRR and satisfaction. Archive it instead (archived: true)',
    es: 'el cliente tiene {records}; eliminarlo reescribiría los ingresos, el MRR y la satisfacción pasados. Archívelo en su lugar (archived: true)',
    'pt-BR':
      'o cliente tem {records}; excluí-lo reescreveria a receita, o MRR e a satisfação passados. Arquive-o em vez disso (archived: true)',
  },
  financialRecords: {
    en: 'financial records',
    es: 'registros financieros',
    'pt-BR': 'registros financeiros',
  },
  contractsCount: {
    en: '{count} contract(s)',
    es: '{count} contrato(s)',
    'pt-BR': '{count} contrato(s)',
  },
  invoicesCount: {
    en: '{count} invoice(s)',
    es: '{count} factura(s)',
    'pt-BR': '{count} fatura(s)',
  },
  feedbackCount: {
    en: '{count} feedback answer(s)',
    es: '{count} valoración(es)',
    'pt-BR': '{count} avaliação(ões)',
  },
  activeClientCannotArchive: {
    en: 'an active client cannot be archived; churn it first (status: churned)',
    es: 'un cliente activo no se puede archivar; dele de baja primero (status: churned)',
    'pt-BR': 'um cliente ativo não pode ser arquivado; marque-o como perdido primeiro (status: churned)',
  },
  archivedClientCannotBeActive: {
    en: 'an archived client cannot become active; bring it back first (archived: false)',
    es: 'un cliente archivado no puede pasar a activo; restáurelo primero (archived: false)',
    'pt-BR': 'um cliente arquivado não pode ficar ativo; restaure-o primeiro (archived: false)',
  },
  completedOnlyProject: {
    en: 'only a completed project has a completion time (the status is {status})',
    es: 'solo un proyecto completado tiene fecha de finalización (el estado es {status})',
    'pt-BR': 'só um projeto concluído tem data de conclusão (o status é {status})',
  },
  completedOnlyTask: {
    en: 'only a completed task has a completion time (the status is {status})',
    es: 'solo una tarea completada tiene fecha de finalización (el estado es {status})',
    'pt-BR': 'só uma tarefa concluída tem data de conclusão (o status é {status})',
  },
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
