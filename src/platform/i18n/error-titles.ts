// The `title` of each error code in every language (English is the catalogue's own title).
import { ERROR_CATALOGUE, type ErrorCode } from '../errors.ts';
import type { Locale } from './locale.ts';

const TRANSLATED: Record<ErrorCode, Record<Exclude<Locale, 'en'>, string>> = {
  'validation-failed': { es: 'La solicitud no es válida', 'pt-BR': 'A requisição não é válida' },
  'malformed-json': { es: 'El cuerpo no es JSON válido', 'pt-BR': 'O corpo não é um JSON válido' },
  unauthenticated: { es: 'Se requiere autenticación', 'pt-BR': 'É necessário se autenticar' },
  'invalid-credentials': {
    es: 'El correo electrónico o la contraseña no son correctos',
    'pt-BR': 'E-mail ou senha incorretos',
  },
  'invalid-mfa-code': {
    es: 'El código de verificación no es correcto',
    'pt-BR': 'O código de verificação está incorreto',
  },
  'invalid-token': { es: 'El token no es válido', 'pt-BR': 'O token não é válido' },
  'invalid-signature': { es: 'La firma no coincide', 'pt-BR': 'A assinatura não confere' },
  'csrf-failed': { es: 'Falta el token CSRF o no es correcto', 'pt-BR': 'Token CSRF ausente ou incorreto' },
  forbidden: { es: 'No permitido', 'pt-BR': 'Não permitido' },
  'mfa-enrollment-required': {
    es: 'Se requiere la verificación en dos pasos',
    'pt-BR': 'A verificação em duas etapas é obrigatória',
  },
  'ip-blocked': {
    es: 'No se permite el acceso desde esta dirección',
    'pt-BR': 'O acesso a partir deste endereço não é permitido',
  },
  'organization-suspended': { es: 'La organización está suspendida', 'pt-BR': 'A organização está suspensa' },
  'account-disabled': { es: 'La cuenta está desactivada', 'pt-BR': 'A conta está desativada' },
  'quota-exceeded': { es: 'Se alcanzó el límite del plan', 'pt-BR': 'Limite do plano atingido' },
  'registration-closed': { es: 'El registro está cerrado', 'pt-BR': 'O cadastro está fechado' },
  'not-found': { es: 'No encontrado', 'pt-BR': 'Não encontrado' },
  'financial-history': {
    es: 'Eso reescribiría el historial financiero',
    'pt-BR': 'Isso reescreveria o histórico financeiro',
  },
  'backup-unusable': {
    es: 'La copia de seguridad no se puede usar',
    'pt-BR': 'O backup não pode ser usado',
  },
  conflict: { es: 'Conflicto con el estado actual', 'pt-BR': 'Conflito com o estado atual' },
  'invalid-transition': {
    es: 'Ese cambio de estado no está permitido',
    'pt-BR': 'Essa mudança de status não é permitida',
  },
  'precondition-failed': {
    es: 'El recurso ha cambiado entretanto',
    'pt-BR': 'O recurso foi alterado nesse meio-tempo',
  },
  'payload-too-large': {
    es: 'El cuerpo de la solicitud es demasiado grande',
    'pt-BR': 'O corpo da requisição é grande demais',
  },
  'unsupported-media-type': {
    es: 'Tipo de contenido no admitido',
    'pt-BR': 'Tipo de conteúdo não suportado',
  },
  'unsupported-file': {
    es: 'No se acepta este tipo de archivo',
    'pt-BR': 'Este tipo de arquivo não é aceito',
  },
  'invalid-file': { es: 'No se puede leer el archivo', 'pt-BR': 'Não é possível ler o arquivo' },
  'import-invalid': {
    es: 'La importación tiene filas no válidas',
    'pt-BR': 'A importação tem linhas inválidas',
  },
  'weak-password': { es: 'La contraseña es demasiado débil', 'pt-BR': 'A senha é fraca demais' },
  'idempotency-key-reused': {
    es: 'Clave de idempotencia reutilizada con otra solicitud',
    'pt-BR': 'Chave de idempotência reutilizada em outra requisição',
  },
  'rate-limited': { es: 'Demasiadas solicitudes', 'pt-BR': 'Muitas requisições' },
  'account-locked': {
    es: 'Demasiados inicios de sesión fallidos',
    'pt-BR': 'Muitas tentativas de login malsucedidas',
  },
  'request-quota-exceeded': {
    es: 'Se alcanzó la cuota mensual de solicitudes a la API',
    'pt-BR': 'Cota mensal de requisições à API atingida',
  },
  internal: { es: 'Error interno', 'pt-BR': 'Erro interno' },
  unavailable: { es: 'Servicio no disponible', 'pt-BR': 'Serviço indisponível' },
};

/** Every code's title, per locale. */
export const ERROR_TITLES: Readonly<Record<ErrorCode, Readonly<Record<Locale, string>>>> = Object.fromEntries(
  (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).map((code) => [
    code,
    { en: ERROR_CATALOGUE[code].title, ...TRANSLATED[code] },
  ]),
) as Record<ErrorCode, Record<Locale, string>>;

export function errorTitle(code: ErrorCode, locale: Locale): string {
  return ERROR_TITLES[code][locale] ?? ERROR_CATALOGUE[code].title;
}
