// The backups module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const BACKUPS = defineMessages('backups', {
  badCron: {
    en: 'not a five-field cron expression (minute hour day month weekday): {reason}',
    es: 'No es una expresión cron de cinco campos (minuto hora día mes día-de-la-semana): {reason}',
    'pt-BR': 'Não é uma expressão cron de cinco campos (minuto hora dia mês dia-da-semana): {reason}',
  },
  badTimeZone: {
    en: 'unknown time zone "{tz}"; use an IANA name such as Europe/Madrid',
    es: 'Zona horaria desconocida «{tz}»; use un nombre IANA como Europe/Madrid',
    'pt-BR': 'Fuso horário desconhecido “{tz}”; use um nome IANA como America/Sao_Paulo',
  },
  unknownTable: {
    en: 'the table {table} is not backed up (it does not exist or is excluded)',
    es: 'La tabla {table} no está en las copias (no existe o está excluida)',
    'pt-BR': 'A tabela {table} não está nos backups (não existe ou está excluída)',
  },
  duplicateSchedule: {
    en: 'the schedule {type} is given twice',
    es: 'La programación {type} aparece dos veces',
    'pt-BR': 'O agendamento {type} aparece duas vezes',
  },
  orgRestoreDisabled: {
    en: 'organization admins may not restore: the installation’s restore policy (org_restore) is disabled',
    es: 'Los administradores de organización no pueden restaurar: la política de restauración (org_restore) está desactivada',
    'pt-BR':
      'Administradores de organização não podem restaurar: a política de restauração (org_restore) está desativada',
  },
  orgRestoreDryRunOnly: {
    en: 'the installation’s restore policy (org_restore) allows organization admins dry runs only',
    es: 'La política de restauración (org_restore) solo permite simulaciones a los administradores de organización',
    'pt-BR':
      'A política de restauração (org_restore) só permite simulações aos administradores de organização',
  },
  orgScopeOnly: {
    en: 'organization admins restore their organization only: use scope organization',
    es: 'Los administradores de organización solo restauran su organización: use el ámbito organization',
    'pt-BR': 'Administradores de organização só restauram sua organização: use o escopo organization',
  },
  otherOrganization: {
    en: 'you may only restore your own organization',
    es: 'Solo puede restaurar su propia organización',
    'pt-BR': 'Você só pode restaurar sua própria organização',
  },
  organizationNeedsScope: {
    en: 'organization_id goes with scope organization only',
    es: 'organization_id solo va con el ámbito organization',
    'pt-BR': 'organization_id só vale com o escopo organization',
  },
  unknownOrganization: {
    en: 'no organization {id} in the database or in the backup',
    es: 'no hay ninguna organización {id} en la base de datos ni en la copia',
    'pt-BR': 'não há organização {id} no banco de dados nem no backup',
  },
  organizationRequired: {
    en: 'scope organization needs organization_id',
    es: 'El ámbito organization necesita organization_id',
    'pt-BR': 'O escopo organization precisa de organization_id',
  },
  tablesNeedScopeAll: {
    en: 'tables can only be chosen with scope all',
    es: 'Las tablas solo se eligen con el ámbito all',
    'pt-BR': 'As tabelas só podem ser escolhidas com o escopo all',
  },
  notRestorable: {
    en: 'the backup {id} is {status}; only a succeeded backup can be restored or verified',
    es: 'La copia {id} está en estado {status}; solo se restaura o verifica una copia correcta',
    'pt-BR': 'O backup {id} está {status}; só um backup concluído pode ser restaurado ou verificado',
  },
  unusable: {
    en: 'the backup cannot be used: {reason}',
    es: 'La copia no se puede usar: {reason}',
    'pt-BR': 'O backup não pode ser usado: {reason}',
  },
  restoreRunning: {
    en: 'a restore is already queued or running ({id}); wait for it to finish',
    es: 'Ya hay una restauración en cola o en curso ({id}); espere a que termine',
    'pt-BR': 'Já há uma restauração na fila ou em andamento ({id}); aguarde o término',
  },
});
