// The access module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const ACCESS = defineMessages('access', {
  unknownPermissions: {
    en: 'unknown permissions: {permissions}',
    es: 'permisos desconocidos: {permissions}',
    'pt-BR': 'permissões desconhecidas: {permissions}',
  },
  platformPermissions: {
    en: 'platform permissions cannot be granted by a role: {permissions}',
    es: 'un rol no puede otorgar permisos de plataforma: {permissions}',
    'pt-BR': 'um papel não pode conceder permissões de plataforma: {permissions}',
  },
  notHeld: {
    en: 'you cannot grant permissions you do not hold: {permissions}',
    es: 'No puede otorgar permisos que usted no tiene: {permissions}',
    'pt-BR': 'Você não pode conceder permissões que não tem: {permissions}',
  },
  roleBeyondYou: {
    en: 'the role {role} carries permissions you do not hold: {permissions}',
    es: 'El rol {role} incluye permisos que usted no tiene: {permissions}',
    'pt-BR': 'O papel {role} inclui permissões que você não tem: {permissions}',
  },
  builtInUnchangeable: {
    en: 'built-in roles cannot be changed; create a custom role instead',
    es: 'Los roles predefinidos no se pueden cambiar; cree un rol personalizado',
    'pt-BR': 'Papéis predefinidos não podem ser alterados; crie um papel personalizado',
  },
  builtInUndeletable: {
    en: 'built-in roles cannot be deleted',
    es: 'Los roles predefinidos no se pueden eliminar',
    'pt-BR': 'Papéis predefinidos não podem ser excluídos',
  },
  roleInUse: {
    en: '{members} member(s) still hold this role; give them another role first',
    es: '{members} miembro(s) todavía tienen este rol; asígneles otro rol primero',
    'pt-BR': '{members} membro(s) ainda têm este papel; atribua outro papel a eles primeiro',
  },
});
