// Messages of the business pages (web/src/pages/business), in every language.
import { areaMessages } from '../catalogue-type.ts';

export const businessMessages = areaMessages({
  en: {},
  es: {},
  ptBR: {},
});
