// Messages of the admin pages (web/src/pages/admin), in every language.
import { areaMessages } from '../catalogue-type.ts';

export const adminMessages = areaMessages({
  en: {},
  es: {},
  ptBR: {},
});
