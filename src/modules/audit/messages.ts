// The audit module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const AUDIT = defineMessages('audit', {
  startAfterEnd: {
    en: 'start_date must be before end_date',
    es: 'start_date debe ser anterior a end_date',
    'pt-BR': 'start_date deve ser anterior a end_date',
  },
  afterStart: {
    en: 'must be after start_date',
    es: 'debe ser posterior a start_date',
    'pt-BR': 'deve ser posterior a start_date',
  },
  noOrganization: {
    en: 'no organization selected',
    es: 'No hay ninguna organización seleccionada',
    'pt-BR': 'Nenhuma organização selecionada',
  },
});
