// The tenancy module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const TENANCY = defineMessages('tenancy', {
  departmentCycle: {
    en: 'a department cannot be moved under itself or one of its own sub-departments',
    es: 'Un departamento no puede moverse dentro de sí mismo ni de uno de sus subdepartamentos',
    'pt-BR': 'Um departamento não pode ser movido para dentro de si mesmo nem de um de seus subdepartamentos',
  },
  departmentHasChildren: {
    en: 'the department has sub-departments; move or delete them first',
    es: 'El departamento tiene subdepartamentos; muévalos o elimínelos primero',
    'pt-BR': 'O departamento tem subdepartamentos; mova-os ou exclua-os primeiro',
  },
  seatsWithInvitations: {
    en: 'the {plan} plan allows {max} users; {members} are members and {invitations} invitations are open',
    es: 'El plan {plan} permite {max} usuarios; hay {members} miembros y {invitations} invitaciones abiertas',
    'pt-BR': 'O plano {plan} permite {max} usuários; há {members} membros e {invitations} convites em aberto',
  },
  seats: {
    en: 'the {plan} plan allows {max} users; {members} are members',
    es: 'El plan {plan} permite {max} usuarios; hay {members} miembros',
    'pt-BR': 'O plano {plan} permite {max} usuários; há {members} membros',
  },
  planTooSmall: {
    en: 'the {plan} plan allows {max} users but the organization has {members}',
    es: 'El plan {plan} permite {max} usuarios, pero la organización tiene {members}',
    'pt-BR': 'O plano {plan} permite {max} usuários, mas a organização tem {members}',
  },
  storageFull: {
    en: 'the {plan} plan allows {max} bytes of files; {used} are used and this file has {size}',
    es: 'El plan {plan} permite {max} bytes de archivos; ya se usan {used} y este archivo ocupa {size}',
    'pt-BR':
      'O plano {plan} permite {max} bytes de arquivos; {used} já estão em uso e este arquivo tem {size}',
  },
  requestQuota: {
    en: 'the plan allows {limit} API requests a month and {used} were made',
    es: 'El plan permite {limit} solicitudes a la API al mes y ya se han hecho {used}',
    'pt-BR': 'O plano permite {limit} requisições à API por mês e já foram feitas {used}',
  },
  unknownInvitation: {
    en: 'unknown invitation token',
    es: 'Código de invitación desconocido',
    'pt-BR': 'Código de convite desconhecido',
  },
  invitationAccepted: {
    en: 'the invitation is accepted',
    es: 'La invitación ya se aceptó',
    'pt-BR': 'O convite já foi aceito',
  },
  invitationRevoked: {
    en: 'the invitation is revoked',
    es: 'La invitación está revocada',
    'pt-BR': 'O convite foi revogado',
  },
  invitationExpired: {
    en: 'the invitation is expired',
    es: 'La invitación ha caducado',
    'pt-BR': 'O convite expirou',
  },
  invitationGone: {
    en: 'the invitation is gone',
    es: 'La invitación ya no existe',
    'pt-BR': 'O convite não existe mais',
  },
  invitationAlreadyAccepted: {
    en: 'the invitation is already accepted',
    es: 'La invitación ya se aceptó',
    'pt-BR': 'O convite já foi aceito',
  },
  invitationAlreadyRevoked: {
    en: 'the invitation is already revoked',
    es: 'La invitación ya está revocada',
    'pt-BR': 'O convite já foi revogado',
  },
  invitationAlreadyExpired: {
    en: 'the invitation is already expired',
    es: 'La invitación ya ha caducado',
    'pt-BR': 'O convite já expirou',
  },
  invitationNoLongerValid: {
    en: 'the invitation is no longer valid (accepted, revoked or expired)',
    es: 'La invitación ya no es válida (aceptada, revocada o caducada)',
    'pt-BR': 'O convite não é mais válido (aceito, revogado ou expirado)',
  },
  invitationOtherEmail: {
    en: 'the invitation was issued to another e-mail address',
    es: 'La invitación se emitió para otra dirección de correo electrónico',
    'pt-BR': 'O convite foi emitido para outro endereço de e-mail',
  },
  alreadyMember: {
    en: 'you are already a member of this organization',
    es: 'Ya es miembro de esta organización',
    'pt-BR': 'Você já é membro desta organização',
  },
  emailAlreadyMember: {
    en: '{email} is already a member',
    es: '{email} ya es miembro',
    'pt-BR': '{email} já é membro',
  },
  orgBlocksAddress: {
    en: 'the organization {name} does not accept requests from {ip}',
    es: 'La organización {name} no acepta solicitudes desde {ip}',
    'pt-BR': 'A organização {name} não aceita requisições de {ip}',
  },
  cidr: {
    en: 'must be an IPv4 or IPv6 address or CIDR such as 203.0.113.0/24',
    es: 'debe ser una dirección IPv4 o IPv6 o un CIDR como 203.0.113.0/24',
    'pt-BR': 'deve ser um endereço IPv4 ou IPv6 ou um CIDR como 203.0.113.0/24',
  },
  ruleBlocksYou: {
    en: 'this rule would block your own address {ip}; add an allow rule for it first',
    es: 'Esta regla bloquearía su propia dirección {ip}; añada antes una regla que la permita',
    'pt-BR': 'Esta regra bloquearia o seu próprio endereço {ip}; adicione antes uma regra que o permita',
  },
  removalBlocksYou: {
    en: 'removing this rule would block your own address {ip}',
    es: 'Quitar esta regla bloquearía su propia dirección {ip}',
    'pt-BR': 'Remover esta regra bloquearia o seu próprio endereço {ip}',
  },
  lastAdmin: {
    en: 'this is the last active organization admin; make someone else admin first',
    es: 'Es el último administrador activo de la organización; designe antes a otra persona como administradora',
    'pt-BR': 'Este é o último administrador ativo da organização; torne outra pessoa administradora primeiro',
  },
  subdomainReserved: {
    en: '"{subdomain}" is reserved; choose another subdomain',
    es: '«{subdomain}» está reservado; elija otro subdominio',
    'pt-BR': '“{subdomain}” é reservado; escolha outro subdomínio',
  },
  subdomainTaken: {
    en: 'the subdomain "{subdomain}" is taken',
    es: 'El subdominio «{subdomain}» ya está en uso',
    'pt-BR': 'O subdomínio “{subdomain}” já está em uso',
  },
  alreadyTaken: { en: 'is already taken', es: 'ya está en uso', 'pt-BR': 'já está em uso' },
  notMemberOfThat: {
    en: 'you are not a member of that organization',
    es: 'No es miembro de esa organización',
    'pt-BR': 'Você não é membro dessa organização',
  },
  organizationSuspended: {
    en: 'the organization {name} is suspended',
    es: 'La organización {name} está suspendida',
    'pt-BR': 'A organização {name} está suspensa',
  },
  membershipSuspended: {
    en: 'your membership in {name} is suspended',
    es: 'Su pertenencia a {name} está suspendida',
    'pt-BR': 'A sua participação em {name} está suspensa',
  },
  organizationRequiresMfa: {
    en: '{name} requires multi-factor authentication: enrol with POST /api/v1/auth/mfa/setup and /auth/mfa/enable',
    es: '{name} exige la verificación en dos pasos: configúrela con POST /api/v1/auth/mfa/setup y /auth/mfa/enable',
    'pt-BR':
      '{name} exige a verificação em duas etapas: configure-a com POST /api/v1/auth/mfa/setup e /auth/mfa/enable',
  },
  timezone: {
    en: '"{timezone}" is not an IANA time zone (e.g. America/Sao_Paulo)',
    es: '«{timezone}» no es una zona horaria IANA (p. ej., America/Sao_Paulo)',
    'pt-BR': '“{timezone}” não é um fuso horário IANA (por exemplo, America/Sao_Paulo)',
  },
  noPlan: {
    en: 'no plan "{plan}"',
    es: 'no existe el plan «{plan}»',
    'pt-BR': 'o plano “{plan}” não existe',
  },
});
