// Live updates (api/realtime.ts): the note while the connection is being re-established, and the
// notice an edit form shows when what it edits was changed or deleted by someone else meanwhile
// (components/StaleNotice.tsx). `things` name the record with its article, since Spanish and
// Portuguese agree the article with the noun.
import { areaMessages } from '../catalogue-type.ts';

export const realtimeMessages = areaMessages({
  en: {
    reconnecting: 'Reconnecting…',
    reconnectingHint: 'Live updates are paused until the connection is back.',
    changedTitle: 'Newer values are available',
    changed: '{{thing}} was changed by someone else since you opened it.',
    loadLatest: 'Load the latest values',
    loadLatestHint: 'Loading them replaces what you typed here.',
    deletedTitle: 'No longer exists',
    deleted: '{{thing}} was deleted by someone else since you opened it; it can no longer be saved.',
    things: {
      task: 'This task',
      project: 'This project',
      client: 'This client',
      milestone: 'This milestone',
      contract: 'This contract',
      invoice: 'This invoice',
      deal: 'This deal',
    },
  },
  es: {
    reconnecting: 'Reconectando…',
    reconnectingHint: 'Las actualizaciones en vivo están en pausa hasta que vuelva la conexión.',
    changedTitle: 'Hay valores más recientes',
    changed: 'Otra persona cambió {{thing}} desde que abrió este formulario.',
    loadLatest: 'Cargar los valores más recientes',
    loadLatestHint: 'Al cargarlos se reemplaza lo que escribió aquí.',
    deletedTitle: 'Ya no existe',
    deleted: 'Otra persona eliminó {{thing}} desde que abrió este formulario; ya no se puede guardar.',
    things: {
      task: 'esta tarea',
      project: 'este proyecto',
      client: 'este cliente',
      milestone: 'este hito',
      contract: 'este contrato',
      invoice: 'esta factura',
      deal: 'esta oportunidad',
    },
  },
  ptBR: {
    reconnecting: 'Reconectando…',
    reconnectingHint: 'As atualizações ao vivo estão pausadas até a conexão voltar.',
    changedTitle: 'Há valores mais recentes',
    changed: 'Outra pessoa alterou {{thing}} desde que você abriu este formulário.',
    loadLatest: 'Carregar os valores mais recentes',
    loadLatestHint: 'Carregá-los substitui o que você digitou aqui.',
    deletedTitle: 'Não existe mais',
    deleted:
      'Outra pessoa excluiu {{thing}} desde que você abriu este formulário; não é mais possível salvar.',
    things: {
      task: 'esta tarefa',
      project: 'este projeto',
      client: 'este cliente',
      milestone: 'este marco',
      contract: 'este contrato',
      invoice: 'esta fatura',
      deal: 'esta negociação',
    },
  },
});
