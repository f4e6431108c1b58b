// The alerts module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const ALERTS = defineMessages('alerts', {
  unknownMetric: {
    en: 'unknown metric "{metric}"; GET /api/v1/monitoring/metrics lists them',
    es: 'Métrica desconocida «{metric}»; GET /api/v1/monitoring/metrics las enumera',
    'pt-BR': 'Métrica desconhecida “{metric}”; GET /api/v1/monitoring/metrics lista as métricas',
  },
  metricScope: {
    en: 'the metric {metric} is measured for {scope} only, not for this rule’s scope',
    es: 'La métrica {metric} solo se mide para {scope}, no para el ámbito de esta regla',
    'pt-BR': 'A métrica {metric} só é medida para {scope}, não para o escopo desta regra',
  },
  percentRange: {
    en: 'a percentage threshold must be between 0 and 100',
    es: 'Un umbral en porcentaje debe estar entre 0 y 100',
    'pt-BR': 'Um limite em porcentagem deve estar entre 0 e 100',
  },
  negativeThreshold: {
    en: 'a threshold in {unit} cannot be negative',
    es: 'Un umbral en {unit} no puede ser negativo',
    'pt-BR': 'Um limite em {unit} não pode ser negativo',
  },
  windowTooShort: {
    en: 'the window ({seconds} s) is shorter than the sampling interval ({interval} s)',
    es: 'La ventana ({seconds} s) es más corta que el intervalo de muestreo ({interval} s)',
    'pt-BR': 'A janela ({seconds} s) é mais curta que o intervalo de amostragem ({interval} s)',
  },
  everyTooShort: {
    en: 'rules are evaluated at most once per sampling interval ({interval} s)',
    es: 'Las reglas se evalúan como mucho una vez por intervalo de muestreo ({interval} s)',
    'pt-BR': 'As regras são avaliadas no máximo uma vez por intervalo de amostragem ({interval} s)',
  },
  containsNotCount: {
    en: 'contains applies to count metrics only (the window contains a step equal to the threshold); {metric} is in {unit}',
    es: 'contains solo se aplica a métricas de conteo (la ventana contiene un paso igual al umbral); {metric} está en {unit}',
    'pt-BR':
      'contains só se aplica a métricas de contagem (a janela contém um passo igual ao limite); {metric} está em {unit}',
  },
  unknownRole: {
    en: 'the organization has no role {id}',
    es: 'La organización no tiene el rol {id}',
    'pt-BR': 'A organização não tem o papel {id}',
  },
  platformRecipients: {
    en: 'platform-wide rules notify the super admins; recipients cannot be chosen',
    es: 'Las reglas de toda la plataforma notifican a los superadministradores; no se eligen destinatarios',
    'pt-BR':
      'As regras de toda a plataforma notificam os superadministradores; não se escolhem destinatários',
  },
  platformOnly: {
    en: 'platform-wide rules and alerts are for super admins',
    es: 'Las reglas y alertas de toda la plataforma son para superadministradores',
    'pt-BR': 'As regras e alertas de toda a plataforma são para superadministradores',
  },
  builtinNotDeletable: {
    en: 'a built-in rule cannot be deleted; disable it instead',
    es: 'Una regla integrada no se puede eliminar; desactívela',
    'pt-BR': 'Uma regra embutida não pode ser excluída; desative-a',
  },
  alertResolved: {
    en: 'the alert is resolved; only an open alert can be acknowledged or resolved',
    es: 'La alerta está resuelta; solo una alerta abierta se puede reconocer o resolver',
    'pt-BR': 'O alerta está resolvido; só um alerta aberto pode ser reconhecido ou resolvido',
  },
  alertAcknowledged: {
    en: 'the alert is already acknowledged',
    es: 'La alerta ya está reconocida',
    'pt-BR': 'O alerta já foi reconhecido',
  },
  silenceInPast: {
    en: 'must be a time in the future',
    es: 'Debe ser un momento futuro',
    'pt-BR': 'Deve ser um momento no futuro',
  },
  silenceTooLong: {
    en: 'a silence lasts at most 30 days',
    es: 'Un silencio dura como máximo 30 días',
    'pt-BR': 'Um silêncio dura no máximo 30 dias',
  },
  labelNotAllowed: {
    en: '{metric} has no label {key}; its labels: {allowed}',
    es: '{metric} no tiene la etiqueta {key}; sus etiquetas: {allowed}',
    'pt-BR': '{metric} não tem o rótulo {key}; seus rótulos: {allowed}',
  },
  labelValue: {
    en: 'label {key}: 1 to 64 letters, digits or _ . : / -',
    es: 'Etiqueta {key}: de 1 a 64 letras, dígitos o _ . : / -',
    'pt-BR': 'Rótulo {key}: de 1 a 64 letras, dígitos ou _ . : / -',
  },
});
