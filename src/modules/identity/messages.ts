// The identity module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const IDENTITY = defineMessages('identity', {
  wrongLogin: {
    en: 'the e-mail or the password is wrong',
    es: 'El correo electrónico o la contraseña no son correctos',
    'pt-BR': 'O e-mail ou a senha estão incorretos',
  },
  accountDisabled: {
    en: 'this account is disabled',
    es: 'Esta cuenta está desactivada',
    'pt-BR': 'Esta conta está desativada',
  },
  noOrganizationNamed: {
    en: 'no organization "{name}"',
    es: 'No existe la organización «{name}»',
    'pt-BR': 'A organização “{name}” não existe',
  },
  noOrganizationAt: {
    en: 'no organization at {host}',
    es: 'No hay ninguna organización en {host}',
    'pt-BR': 'Não há nenhuma organização em {host}',
  },
  noSuchOrganization: {
    en: 'no such organization',
    es: 'Esa organización no existe',
    'pt-BR': 'Essa organização não existe',
  },
  mfaTokenInvalid: {
    en: 'the MFA token is invalid or expired; sign in again',
    es: 'El token de verificación en dos pasos no es válido o ha caducado; vuelva a iniciar sesión',
    'pt-BR': 'O token da verificação em duas etapas é inválido ou expirou; entre novamente',
  },
  sendCode: {
    en: 'send `code` (or `recoveryCode`)',
    es: 'envíe `code` (o `recoveryCode`)',
    'pt-BR': 'envie `code` (ou `recoveryCode`)',
  },
  sendNewDeviceCode: {
    en: 'send the code shown by the newly added authenticator',
    es: 'envíe el código que muestra la aplicación de autenticación recién añadida',
    'pt-BR': 'envie o código exibido pelo aplicativo autenticador recém-adicionado',
  },
  setupFirst: {
    en: 'call /auth/login/mfa/setup first, then send the code shown by the app',
    es: 'llame primero a /auth/login/mfa/setup y envíe después el código que muestra la aplicación',
    'pt-BR': 'chame primeiro /auth/login/mfa/setup e depois envie o código exibido pelo aplicativo',
  },
  accountUnavailable: {
    en: 'the account is not available',
    es: 'La cuenta no está disponible',
    'pt-BR': 'A conta não está disponível',
  },
  wrongCode: {
    en: 'the code is wrong, expired or already used',
    es: 'El código no es correcto, ha caducado o ya se ha usado',
    'pt-BR': 'O código está incorreto, expirou ou já foi usado',
  },
  codeMismatch: {
    en: 'the code does not match; check the device clock and try the current code',
    es: 'El código no coincide; compruebe la hora del dispositivo y pruebe con el código actual',
    'pt-BR': 'O código não confere; verifique o relógio do dispositivo e tente o código atual',
  },
  mfaAlreadyEnabledSignIn: {
    en: 'MFA is already enabled for this account; sign in again',
    es: 'La verificación en dos pasos ya está activada en esta cuenta; vuelva a iniciar sesión',
    'pt-BR': 'A verificação em duas etapas já está ativada nesta conta; entre novamente',
  },
  mfaNotEnabledSignIn: {
    en: 'MFA is not enabled for this account; sign in again',
    es: 'La verificación en dos pasos no está activada en esta cuenta; vuelva a iniciar sesión',
    'pt-BR': 'A verificação em duas etapas não está ativada nesta conta; entre novamente',
  },
  mfaAlreadyEnabledDisableFirst: {
    en: 'MFA is already enabled; disable it first to enrol a new device',
    es: 'La verificación en dos pasos ya está activada; desactívela antes de registrar un dispositivo nuevo',
    'pt-BR':
      'A verificação em duas etapas já está ativada; desative-a antes de cadastrar um novo dispositivo',
  },
  mfaAlreadyEnabled: {
    en: 'MFA is already enabled',
    es: 'La verificación en dos pasos ya está activada',
    'pt-BR': 'A verificação em duas etapas já está ativada',
  },
  mfaSetupFirst: {
    en: 'call POST /api/v1/auth/mfa/setup first',
    es: 'Llame primero a POST /api/v1/auth/mfa/setup',
    'pt-BR': 'Chame primeiro POST /api/v1/auth/mfa/setup',
  },
  mfaNotEnabled: {
    en: 'MFA is not enabled',
    es: 'La verificación en dos pasos no está activada',
    'pt-BR': 'A verificação em duas etapas não está ativada',
  },
  mfaRequiredBy: {
    en: 'MFA is required by {organizations}; it cannot be turned off',
    es: '{organizations} exige la verificación en dos pasos; no se puede desactivar',
    'pt-BR': '{organizations} exige a verificação em duas etapas; ela não pode ser desativada',
  },
  wrongPassword: {
    en: 'the password is wrong',
    es: 'La contraseña no es correcta',
    'pt-BR': 'A senha está incorreta',
  },
  wrongCurrentPassword: {
    en: 'the current password is wrong',
    es: 'La contraseña actual no es correcta',
    'pt-BR': 'A senha atual está incorreta',
  },
  notCurrentPassword: {
    en: 'is not your current password',
    es: 'no es su contraseña actual',
    'pt-BR': 'não é a sua senha atual',
  },
  unknownRefreshToken: {
    en: 'unknown refresh token',
    es: 'Token de renovación desconocido',
    'pt-BR': 'Token de renovação desconhecido',
  },
  refreshTokenReused: {
    en: 'this refresh token was already used; the session has been revoked for safety',
    es: 'Este token de renovación ya se había usado; por seguridad, la sesión se ha revocado',
    'pt-BR': 'Este token de renovação já foi usado; por segurança, a sessão foi revogada',
  },
  sessionEnded: {
    en: 'the session has ended; sign in again',
    es: 'La sesión ha terminado; vuelva a iniciar sesión',
    'pt-BR': 'A sessão terminou; entre novamente',
  },
  tokenSessionEnded: {
    en: 'the session of this token has ended',
    es: 'La sesión de este token ha terminado',
    'pt-BR': 'A sessão deste token terminou',
  },
  accessTokenInvalid: {
    en: 'the access token is invalid or expired',
    es: 'El token de acceso no es válido o ha caducado',
    'pt-BR': 'O token de acesso é inválido ou expirou',
  },
  bearerFormat: {
    en: 'Authorization must be "Bearer <token>"',
    es: 'Authorization debe ser "Bearer <token>"',
    'pt-BR': 'Authorization deve ser "Bearer <token>"',
  },
  accountGone: {
    en: 'the account no longer exists',
    es: 'La cuenta ya no existe',
    'pt-BR': 'A conta não existe mais',
  },
  csrf: {
    en: 'cookie-authenticated writes need the X-CSRF-Token header returned at login',
    es: 'Los cambios autenticados con cookie necesitan la cabecera X-CSRF-Token que se entregó al iniciar sesión',
    'pt-BR': 'Alterações autenticadas por cookie precisam do cabeçalho X-CSRF-Token devolvido no login',
  },
  apiKeyInvalid: {
    en: 'the API key is unknown, revoked or expired',
    es: 'La clave de API es desconocida, está revocada o ha caducado',
    'pt-BR': 'A chave de API é desconhecida, foi revogada ou expirou',
  },
  apiKeyOtherOrganization: {
    en: 'this API key belongs to another organization',
    es: 'Esta clave de API pertenece a otra organización',
    'pt-BR': 'Esta chave de API pertence a outra organização',
  },
  notMemberOfOrganization: {
    en: 'you are not a member of this organization',
    es: 'No es miembro de esta organización',
    'pt-BR': 'Você não é membro desta organização',
  },
  organizationHeader: {
    en: 'X-Organization-ID must be an organization id (UUID)',
    es: 'X-Organization-ID debe ser el identificador de una organización (UUID)',
    'pt-BR': 'X-Organization-ID deve ser o identificador de uma organização (UUID)',
  },
  mustBeUuid: { en: 'must be a UUID', es: 'debe ser un UUID', 'pt-BR': 'deve ser um UUID' },
  apiKeysDoNotLogOut: {
    en: 'API keys do not log out; revoke the key with DELETE /api/v1/api-keys/{id}',
    es: 'Las claves de API no cierran sesión; revoque la clave con DELETE /api/v1/api-keys/{id}',
    'pt-BR': 'Chaves de API não fazem logout; revogue a chave com DELETE /api/v1/api-keys/{id}',
  },
  apiKeyOneOrganization: {
    en: 'an API key belongs to one organization',
    es: 'Una clave de API pertenece a una sola organización',
    'pt-BR': 'Uma chave de API pertence a uma única organização',
  },
  organizationRequiresMfa: {
    en: 'that organization requires MFA; enrol first (POST /api/v1/auth/mfa/setup)',
    es: 'Esa organización exige la verificación en dos pasos; configúrela primero (POST /api/v1/auth/mfa/setup)',
    'pt-BR':
      'Essa organização exige a verificação em duas etapas; configure-a primeiro (POST /api/v1/auth/mfa/setup)',
  },
  apiKeyCannotCreateKeys: {
    en: 'an API key cannot create API keys',
    es: 'Una clave de API no puede crear claves de API',
    'pt-BR': 'Uma chave de API não pode criar chaves de API',
  },
  mustBeFuture: {
    en: 'must be in the future',
    es: 'debe ser una fecha futura',
    'pt-BR': 'deve ser uma data futura',
  },
  keyAlreadyRevoked: {
    en: 'the key is already revoked',
    es: 'La clave ya está revocada',
    'pt-BR': 'A chave já foi revogada',
  },
  registrationClosed: {
    en: 'sign-up is disabled on this installation; ask an administrator for an invitation',
    es: 'El registro está desactivado en esta instalación; pida una invitación a un administrador',
    'pt-BR': 'O cadastro está desativado nesta instalação; peça um convite a um administrador',
  },
  emailRegistered: {
    en: 'an account with this e-mail already exists; sign in and create the organization from there',
    es: 'Ya existe una cuenta con este correo electrónico; inicie sesión y cree la organización desde allí',
    'pt-BR': 'Já existe uma conta com este e-mail; entre e crie a organização a partir dela',
  },
  alreadyRegistered: { en: 'is already registered', es: 'ya está registrado', 'pt-BR': 'já está cadastrado' },
  existingAccountPassword: {
    en: 'an account exists for {email}; give its password to join',
    es: 'Ya existe una cuenta para {email}; indique su contraseña para unirse',
    'pt-BR': 'Já existe uma conta para {email}; informe a senha dela para entrar',
  },
  newAccountNeedsName: {
    en: 'a new account needs a name',
    es: 'una cuenta nueva necesita un nombre',
    'pt-BR': 'uma conta nova precisa de um nome',
  },
  tooManyFailedLogins: {
    en: 'too many failed logins; try again in {seconds} s',
    es: 'Demasiados inicios de sesión fallidos; inténtelo de nuevo dentro de {seconds} s',
    'pt-BR': 'Muitas tentativas de login malsucedidas; tente novamente em {seconds} s',
  },
  weakPassword: {
    en: '{field} {problem}',
    es: 'El campo «{field}» {problem}',
    'pt-BR': 'O campo “{field}” {problem}',
  },
  passwordTooShort: {
    en: 'must be at least {min} characters',
    es: 'debe tener al menos {min} caracteres',
    'pt-BR': 'deve ter pelo menos {min} caracteres',
  },
  passwordTooLong: {
    en: 'must be at most {max} characters',
    es: 'debe tener como máximo {max} caracteres',
    'pt-BR': 'deve ter no máximo {max} caracteres',
  },
  passwordCommon: {
    en: 'is a commonly used password found in breach lists',
    es: 'es una contraseña muy común que aparece en listas de filtraciones',
    'pt-BR': 'é uma senha muito comum que aparece em listas de vazamentos',
  },
  passwordCommonPadded: {
    en: 'is a common password with characters added; choose something less predictable',
    es: 'es una contraseña común con caracteres añadidos; elija algo menos previsible',
    'pt-BR': 'é uma senha comum com caracteres acrescentados; escolha algo menos previsível',
  },
  passwordRepeated: {
    en: 'is a short pattern repeated',
    es: 'es un patrón corto repetido',
    'pt-BR': 'é um padrão curto repetido',
  },
  passwordFewCharacters: {
    en: 'uses too few different characters',
    es: 'usa muy pocos caracteres distintos',
    'pt-BR': 'usa poucos caracteres diferentes',
  },
  passwordPersonal: {
    en: 'must not contain your name or e-mail address',
    es: 'no debe contener su nombre ni su dirección de correo electrónico',
    'pt-BR': 'não pode conter o seu nome nem o seu endereço de e-mail',
  },
});
