// The texts of the HTTP layer: field messages per validation rule, the summary detail of a
// validation failure, and the platform's own refusals (database rules, credentials, cursors...).
import { defineMessages } from '../i18n/message.ts';

/** Field messages, one per validation rule (AJV keyword); `{limit}` etc. are the rule's parameters. */
export const RULE = defineMessages('rule', {
  required: { en: 'is required', es: 'es obligatorio', 'pt-BR': 'é obrigatório' },
  additionalProperties: {
    en: 'is not an allowed field',
    es: 'no es un campo permitido',
    'pt-BR': 'não é um campo permitido',
  },
  type: { en: 'must be {type}', es: 'debe ser de tipo {type}', 'pt-BR': 'deve ser do tipo {type}' },
  maxLength: {
    en: 'must be at most {limit} characters',
    es: 'debe tener como máximo {limit} caracteres',
    'pt-BR': 'deve ter no máximo {limit} caracteres',
  },
  notEmpty: { en: 'must not be empty', es: 'no debe estar vacío', 'pt-BR': 'não pode ficar vazio' },
  minLength: {
    en: 'must be at least {limit} characters',
    es: 'debe tener al menos {limit} caracteres',
    'pt-BR': 'deve ter pelo menos {limit} caracteres',
  },
  format: {
    en: 'must be a valid {format}',
    es: 'debe tener un formato {format} válido',
    'pt-BR': 'deve estar em um formato {format} válido',
  },
  formatUuid: {
    en: 'must be a valid uuid',
    es: 'debe ser un UUID válido',
    'pt-BR': 'deve ser um UUID válido',
  },
  formatEmail: {
    en: 'must be a valid email',
    es: 'debe ser una dirección de correo electrónico válida',
    'pt-BR': 'deve ser um endereço de e-mail válido',
  },
  formatDate: {
    en: 'must be a valid date',
    es: 'debe ser una fecha válida (AAAA-MM-DD)',
    'pt-BR': 'deve ser uma data válida (AAAA-MM-DD)',
  },
  formatDateTime: {
    en: 'must be a valid date-time',
    es: 'debe ser una fecha y hora válidas (ISO 8601)',
    'pt-BR': 'deve ser uma data e hora válidas (ISO 8601)',
  },
  formatUri: { en: 'must be a valid uri', es: 'debe ser una URL válida', 'pt-BR': 'deve ser uma URL válida' },
  enum: {
    en: 'must be one of: {values}',
    es: 'debe ser uno de estos valores: {values}',
    'pt-BR': 'deve ser um destes valores: {values}',
  },
  maxItems: {
    en: 'must have at most {limit} items',
    es: 'debe tener como máximo {limit} elementos',
    'pt-BR': 'deve ter no máximo {limit} itens',
  },
  minItems: {
    en: 'must have at least {limit} items',
    es: 'debe tener al menos {limit} elementos',
    'pt-BR': 'deve ter pelo menos {limit} itens',
  },
  uniqueItems: {
    en: 'must not contain duplicates',
    es: 'no debe contener duplicados',
    'pt-BR': 'não pode conter itens repetidos',
  },
  minimum: {
    en: 'must be >= {limit}',
    es: 'debe ser mayor o igual que {limit}',
    'pt-BR': 'deve ser maior ou igual a {limit}',
  },
  maximum: {
    en: 'must be <= {limit}',
    es: 'debe ser menor o igual que {limit}',
    'pt-BR': 'deve ser menor ou igual a {limit}',
  },
  exclusiveMinimum: {
    en: 'must be > {limit}',
    es: 'debe ser mayor que {limit}',
    'pt-BR': 'deve ser maior que {limit}',
  },
  exclusiveMaximum: {
    en: 'must be < {limit}',
    es: 'debe ser menor que {limit}',
    'pt-BR': 'deve ser menor que {limit}',
  },
  pattern: {
    en: 'has an invalid format',
    es: 'no tiene un formato válido',
    'pt-BR': 'não está em um formato válido',
  },
  union: {
    en: 'must match one of the allowed forms',
    es: 'no coincide con ninguna de las formas permitidas',
    'pt-BR': 'não corresponde a nenhuma das formas permitidas',
  },
  invalid: { en: 'is invalid', es: 'no es válido', 'pt-BR': 'não é válido' },
});

export const HTTP = defineMessages('http', {
  validationSummary: {
    en: '{field} {message}',
    es: 'El campo «{field}» {message}',
    'pt-BR': 'O campo “{field}” {message}',
  },
  validationSummaryMore: {
    en: '{field} {message} (and {more} more)',
    es: 'El campo «{field}» {message} (y {more} más)',
    'pt-BR': 'O campo “{field}” {message} (e mais {more})',
  },
  invalidRequest: {
    en: 'invalid request',
    es: 'La solicitud no es válida',
    'pt-BR': 'A requisição não é válida',
  },
  malformedJson: {
    en: 'the request body is not valid JSON',
    es: 'El cuerpo de la solicitud no es JSON válido',
    'pt-BR': 'O corpo da requisição não é um JSON válido',
  },
  forbiddenKey: {
    en: 'the body contains a forbidden __proto__ or constructor.prototype key',
    es: 'El cuerpo contiene una clave prohibida __proto__ o constructor.prototype',
    'pt-BR': 'O corpo contém uma chave proibida __proto__ ou constructor.prototype',
  },
  forbiddenKeyField: {
    en: 'must not contain __proto__ or constructor.prototype',
    es: 'no debe contener __proto__ ni constructor.prototype',
    'pt-BR': 'não pode conter __proto__ nem constructor.prototype',
  },
  nul: {
    en: '{field} must not contain the NUL character',
    es: 'El campo «{field}» no debe contener el carácter NUL',
    'pt-BR': 'O campo “{field}” não pode conter o caractere NUL',
  },
  nulField: {
    en: 'must not contain the NUL character (\\u0000)',
    es: 'no debe contener el carácter NUL (\\u0000)',
    'pt-BR': 'não pode conter o caractere NUL (\\u0000)',
  },
  duplicate: {
    en: 'a record with the same {subject} already exists',
    es: 'Ya existe un registro con el mismo valor de {subject}',
    'pt-BR': 'Já existe um registro com o mesmo valor de {subject}',
  },
  duplicateValues: {
    en: 'a record with the same values already exists',
    es: 'Ya existe un registro con los mismos valores',
    'pt-BR': 'Já existe um registro com os mesmos valores',
  },
  reference: {
    en: 'the change refers to, or is referred to by, another record',
    es: 'El cambio hace referencia a otro registro, o bien otro registro hace referencia a él',
    'pt-BR': 'A alteração faz referência a outro registro, ou outro registro faz referência a ela',
  },
  databaseRule: {
    en: 'a value breaks the rule {rule}',
    es: 'Un valor incumple la regla {rule}',
    'pt-BR': 'Um valor viola a regra {rule}',
  },
  notAcceptable: { en: 'is not acceptable', es: 'no es aceptable', 'pt-BR': 'não é aceitável' },
  collision: {
    en: 'the change collided with a concurrent change; retry it',
    es: 'El cambio coincidió con otro cambio simultáneo; inténtelo de nuevo',
    'pt-BR': 'A alteração coincidiu com outra alteração simultânea; tente novamente',
  },
  databaseUnavailable: {
    en: 'the database is not available right now',
    es: 'La base de datos no está disponible en este momento',
    'pt-BR': 'O banco de dados não está disponível no momento',
  },
  internal: {
    en: 'an unexpected error occurred; quote the request id when reporting it',
    es: 'Se produjo un error inesperado; indique el identificador de la solicitud al comunicarlo',
    'pt-BR': 'Ocorreu um erro inesperado; informe o identificador da requisição ao relatá-lo',
  },
  noRoute: {
    en: 'no route {method} {path}',
    es: 'No existe la ruta {method} {path}',
    'pt-BR': 'A rota {method} {path} não existe',
  },
  badPath: {
    en: 'the URL path is not valid',
    es: 'La ruta de la URL no es válida',
    'pt-BR': 'O caminho da URL não é válido',
  },
  pathSegmentTooLong: {
    en: 'a path segment is too long',
    es: 'un segmento de la ruta es demasiado largo',
    'pt-BR': 'um segmento do caminho é longo demais',
  },
  badEncoding: {
    en: 'is not valid percent-encoding',
    es: 'no es una codificación porcentual válida',
    'pt-BR': 'não é uma codificação percentual válida',
  },
  authenticationRequired: {
    en: 'authentication is required',
    es: 'Se requiere autenticación',
    'pt-BR': 'É necessário se autenticar',
  },
  noOrganization: {
    en: 'no organization selected; send X-Organization-ID',
    es: 'No hay ninguna organización seleccionada; envíe X-Organization-ID',
    'pt-BR': 'Nenhuma organização selecionada; envie X-Organization-ID',
  },
  addressRefused: {
    en: 'requests from {ip} are not accepted',
    es: 'No se aceptan solicitudes desde {ip}',
    'pt-BR': 'Requisições de {ip} não são aceitas',
  },
  sendCredentials: {
    en: 'send a Bearer token, an API key or the session cookie',
    es: 'Envíe un token Bearer, una clave de API o la cookie de sesión',
    'pt-BR': 'Envie um token Bearer, uma chave de API ou o cookie de sessão',
  },
  needsPermission: {
    en: 'this needs the permission {permission}',
    es: 'Esto requiere el permiso {permission}',
    'pt-BR': 'Isto requer a permissão {permission}',
  },
  foreignCursor: {
    en: 'cursor is not a cursor this list gave out',
    es: 'El cursor no procede de esta lista',
    'pt-BR': 'O cursor não foi fornecido por esta lista',
  },
  badCursor: { en: 'is not a valid cursor', es: 'no es un cursor válido', 'pt-BR': 'não é um cursor válido' },
  cursorOfOtherSort: {
    en: 'the cursor belongs to a different sort order',
    es: 'El cursor corresponde a otro orden',
    'pt-BR': 'O cursor pertence a outra ordenação',
  },
  cursorSort: {
    en: 'was given for sort={sort}',
    es: 'se entregó para sort={sort}',
    'pt-BR': 'foi fornecido para sort={sort}',
  },
  cannotSort: {
    en: 'cannot sort by {sort}',
    es: 'No se puede ordenar por {sort}',
    'pt-BR': 'Não é possível ordenar por {sort}',
  },
  sortValues: {
    en: 'must be one of {values}',
    es: 'debe ser uno de estos valores: {values}',
    'pt-BR': 'deve ser um destes valores: {values}',
  },
  ifMatch: {
    en: 'If-Match must be the resource version, e.g. "3"',
    es: 'If-Match debe ser la versión del recurso, p. ej. "3"',
    'pt-BR': 'If-Match deve ser a versão do recurso, por exemplo "3"',
  },
  ifMatchField: {
    en: 'must be a version number such as "3"',
    es: 'debe ser un número de versión como "3"',
    'pt-BR': 'deve ser um número de versão como "3"',
  },
  staleVersion: {
    en: 'the {what} is at version {current}, not {expected}; reload it and try again',
    es: '{what} está en la versión {current}, no en la {expected}; vuelva a cargar e inténtelo de nuevo',
    'pt-BR': '{what} está na versão {current}, não na {expected}; recarregue e tente novamente',
  },
  idempotencyKey: {
    en: 'Idempotency-Key must be 1–255 visible ASCII characters',
    es: 'Idempotency-Key debe tener de 1 a 255 caracteres ASCII visibles',
    'pt-BR': 'Idempotency-Key deve ter de 1 a 255 caracteres ASCII visíveis',
  },
  idempotencyKeyField: {
    en: 'must be 1–255 visible ASCII characters',
    es: 'debe tener de 1 a 255 caracteres ASCII visibles',
    'pt-BR': 'deve ter de 1 a 255 caracteres ASCII visíveis',
  },
  idempotencyKeyReused: {
    en: 'this Idempotency-Key was used with a different request; use a new key',
    es: 'Esta Idempotency-Key ya se usó con otra solicitud; use una clave nueva',
    'pt-BR': 'Esta Idempotency-Key já foi usada em outra requisição; use uma chave nova',
  },
  idempotencyInFlight: {
    en: 'a request with this Idempotency-Key is still being processed; retry shortly',
    es: 'Todavía se está procesando una solicitud con esta Idempotency-Key; vuelva a intentarlo en breve',
    'pt-BR':
      'Uma requisição com esta Idempotency-Key ainda está sendo processada; tente novamente em instantes',
  },
  rateLimitAddress: {
    en: 'per-address rate limit reached: {points} per {duration} s; retry in {seconds} s',
    es: 'Se alcanzó el límite de solicitudes por dirección: {points} cada {duration} s; reintente dentro de {seconds} s',
    'pt-BR':
      'Limite de requisições por endereço atingido: {points} a cada {duration} s; tente novamente em {seconds} s',
  },
  rateLimitLogin: {
    en: 'login rate limit reached: {points} per {duration} s; retry in {seconds} s',
    es: 'Se alcanzó el límite de intentos de inicio de sesión: {points} cada {duration} s; reintente dentro de {seconds} s',
    'pt-BR':
      'Limite de tentativas de login atingido: {points} a cada {duration} s; tente novamente em {seconds} s',
  },
  rateLimitUser: {
    en: 'per-user rate limit reached: {points} per {duration} s; retry in {seconds} s',
    es: 'Se alcanzó el límite de solicitudes por usuario: {points} cada {duration} s; reintente dentro de {seconds} s',
    'pt-BR':
      'Limite de requisições por usuário atingido: {points} a cada {duration} s; tente novamente em {seconds} s',
  },
  notCurrency: {
    en: '{currency} is not an ISO 4217 currency',
    es: '{currency} no es una moneda ISO 4217',
    'pt-BR': '{currency} não é uma moeda ISO 4217',
  },
  notCurrencyCode: {
    en: '{currency} is not an ISO 4217 currency code',
    es: '{currency} no es un código de moneda ISO 4217',
    'pt-BR': '{currency} não é um código de moeda ISO 4217',
  },
  otherCurrency: {
    en: "amounts must be in the organization's currency {currency}",
    es: 'Los importes deben estar en la moneda de la organización, {currency}',
    'pt-BR': 'Os valores devem estar na moeda da organização, {currency}',
  },
  otherCurrencyField: {
    en: "must be {currency}, the organization's currency (BUL does not convert currencies)",
    es: 'debe ser {currency}, la moneda de la organización (BUL no convierte monedas)',
    'pt-BR': 'deve ser {currency}, a moeda da organização (o BUL não converte moedas)',
  },
  bodyTooLarge: {
    en: 'the request body is larger than this server accepts',
    es: 'El cuerpo de la solicitud supera el tamaño que admite este servidor',
    'pt-BR': 'O corpo da requisição é maior do que este servidor aceita',
  },
  unsupportedMediaType: {
    en: 'send the body as application/json (multipart/form-data for uploads and imports)',
    es: 'Envíe el cuerpo como application/json (multipart/form-data para subidas de archivos e importaciones)',
    'pt-BR':
      'Envie o corpo como application/json (multipart/form-data para envios de arquivos e importações)',
  },
  notFound: {
    en: '{what} not found',
    es: 'No se encontró {what}',
    'pt-BR': 'Não foi possível encontrar {what}',
  },
});

/** Uploads (multipart): the file field, sizes and the content checks. */
export const UPLOAD = defineMessages('upload', {
  jsonRoute: {
    en: 'this route takes application/json, not multipart/form-data',
    es: 'Esta ruta recibe application/json, no multipart/form-data',
    'pt-BR': 'Esta rota recebe application/json, não multipart/form-data',
  },
  sendMultipart: {
    en: 'send the file as multipart/form-data in the field "{field}"',
    es: 'Envíe el archivo como multipart/form-data en el campo "{field}"',
    'pt-BR': 'Envie o arquivo como multipart/form-data no campo "{field}"',
  },
  fileDetail: { en: 'file {message}', es: 'El campo «file» {message}', 'pt-BR': 'O campo “file” {message}' },
  once: {
    en: 'must be sent once: one file per request',
    es: 'debe enviarse una sola vez: un archivo por solicitud',
    'pt-BR': 'deve ser enviado uma única vez: um arquivo por requisição',
  },
  wrongField: {
    en: 'must be sent in the field "{field}" (got "{got}")',
    es: 'debe enviarse en el campo "{field}" (se recibió "{got}")',
    'pt-BR': 'deve ser enviado no campo "{field}" (recebido: "{got}")',
  },
  required: {
    en: 'is required: send one file in the multipart field "file"',
    es: 'es obligatorio: envíe un archivo en el campo multipart "file"',
    'pt-BR': 'é obrigatório: envie um arquivo no campo multipart "file"',
  },
  empty: { en: 'is empty', es: 'está vacío', 'pt-BR': 'está vazio' },
  tooManyFields: {
    en: 'the form has more than {max} fields',
    es: 'El formulario tiene más de {max} campos',
    'pt-BR': 'O formulário tem mais de {max} campos',
  },
  atMostFields: {
    en: 'at most {max} fields',
    es: 'como máximo {max} campos',
    'pt-BR': 'no máximo {max} campos',
  },
  forbiddenName: {
    en: 'a form field name is not allowed',
    es: 'Un nombre de campo del formulario no está permitido',
    'pt-BR': 'Um nome de campo do formulário não é permitido',
  },
  forbiddenNameField: {
    en: 'forbidden field name',
    es: 'nombre de campo prohibido',
    'pt-BR': 'nome de campo proibido',
  },
  malformed: {
    en: 'the multipart body is malformed: {reason}',
    es: 'El cuerpo multipart está mal formado: {reason}',
    'pt-BR': 'O corpo multipart está malformado: {reason}',
  },
  malformedField: {
    en: 'is not well-formed multipart data',
    es: 'no son datos multipart bien formados',
    'pt-BR': 'não são dados multipart bem formados',
  },
  tooLarge: {
    en: 'the file exceeds the upload limit of {size}',
    es: 'El archivo supera el límite de subida de {size}',
    'pt-BR': 'O arquivo excede o limite de envio de {size}',
  },
  typeRefused: {
    en: 'files of type .{ext} are not accepted (allowed: {allowed})',
    es: 'No se aceptan archivos de tipo .{ext} (permitidos: {allowed})',
    'pt-BR': 'Arquivos do tipo .{ext} não são aceitos (permitidos: {allowed})',
  },
  noExtension: {
    en: 'the file name has no extension (allowed: {allowed})',
    es: 'El nombre del archivo no tiene extensión (permitidas: {allowed})',
    'pt-BR': 'O nome do arquivo não tem extensão (permitidas: {allowed})',
  },
  contentIs: {
    en: 'the file is named .{ext} but it is {actual} data',
    es: 'El archivo tiene la extensión .{ext}, pero contiene datos {actual}',
    'pt-BR': 'O arquivo tem a extensão .{ext}, mas contém dados {actual}',
  },
  notUtf8: {
    en: 'the file is named .{ext} but it is not UTF-8 text (binary data or another encoding)',
    es: 'El archivo tiene la extensión .{ext}, pero no es texto UTF-8 (son datos binarios o usa otra codificación)',
    'pt-BR':
      'O arquivo tem a extensão .{ext}, mas não é texto UTF-8 (são dados binários ou outra codificação)',
  },
  unrecognised: {
    en: 'the file is named .{ext} but its content is not recognised as that type',
    es: 'El archivo tiene la extensión .{ext}, pero su contenido no se reconoce como ese tipo',
    'pt-BR': 'O arquivo tem a extensão .{ext}, mas o conteúdo não é reconhecido como desse tipo',
  },
});
