// Texts several modules share: a reference to a missing record, a user who must be a member.
import { defineMessages } from './message.ts';

export const COMMON = defineMessages('common', {
  noSuch: {
    en: 'no such {what} in this organization',
    es: '{what} no existe en esta organización',
    'pt-BR': '{what} não existe nesta organização',
  },
  ownerNotMember: {
    en: 'the owner must be a member of this organization',
    es: 'el responsable debe ser miembro de esta organización',
    'pt-BR': 'o responsável deve ser membro desta organização',
  },
  notMember: {
    en: 'must be a member of this organization',
    es: 'debe ser miembro de esta organización',
    'pt-BR': 'deve ser membro desta organização',
  },
  endBeforeStart: {
    en: 'the end date {end} is before the start date {start}',
    es: 'la fecha de fin ({end}) es anterior a la de inicio ({start})',
    'pt-BR': 'a data de término ({end}) é anterior à de início ({start})',
  },
  invalidMove: {
    en: 'a {what} cannot move from {from} to {to}; from {from} it can move to {allowed}',
    es: '{what} no puede pasar de {from} a {to}; desde {from} puede pasar a: {allowed}',
    'pt-BR': '{what} não pode passar de {from} para {to}; de {from} pode passar para: {allowed}',
  },
  invalidMoveNowhere: {
    en: 'a {what} cannot move from {from} to {to}; from {from} it can move to nothing',
    es: '{what} no puede pasar de {from} a {to}; desde {from} no puede pasar a ningún otro estado',
    'pt-BR': '{what} não pode passar de {from} para {to}; de {from} não pode passar para nenhum outro status',
  },
});
