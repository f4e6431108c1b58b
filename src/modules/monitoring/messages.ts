// The monitoring module's texts in every language (see platform/i18n/message.ts).
import { defineMessages } from '../../platform/i18n/message.ts';

export const MONITORING = defineMessages('monitoring', {
  badQuery: {
    en: 'the metrics query is not valid',
    es: 'La consulta de métricas no es válida',
    'pt-BR': 'A consulta de métricas não é válida',
  },
  metricNotInScope: {
    en: '{metric} is a {scope} metric; it has no series in this scope',
    es: '{metric} es una métrica de ámbito {scope}; no tiene serie en este ámbito',
    'pt-BR': '{metric} é uma métrica de escopo {scope}; não tem série neste escopo',
  },
  fromNotBeforeTo: {
    en: 'must be before to ({to})',
    es: 'Debe ser anterior a to ({to})',
    'pt-BR': 'Deve ser anterior a to ({to})',
  },
  tooManyPoints: {
    en: 'from {from} to {to} in steps of {step} s is {points} points; at most {max}: take a longer step',
    es: 'De {from} a {to} en pasos de {step} s son {points} puntos; como máximo {max}: use un paso mayor',
    'pt-BR':
      'De {from} a {to} em passos de {step} s são {points} pontos; no máximo {max}: use um passo maior',
  },
  stepBelowInterval: {
    en: 'must be at least the sample interval, {interval} s',
    es: 'Debe ser al menos el intervalo de muestreo, {interval} s',
    'pt-BR': 'Deve ser pelo menos o intervalo de amostragem, {interval} s',
  },
  stepBeforeRaw: {
    en: 'a step that is not whole minutes reads raw samples, kept {hours} h; from {from} needs whole minutes (60, 120, …)',
    es: 'Un paso que no es de minutos enteros lee muestras sin agregar, guardadas {hours} h; desde {from} necesita minutos enteros (60, 120, …)',
    'pt-BR':
      'Um passo que não é de minutos inteiros lê amostras brutas, mantidas por {hours} h; a partir de {from} são precisos minutos inteiros (60, 120, …)',
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
  labelsShape: {
    en: 'must be key=value pairs separated by commas, e.g. group=tasks',
    es: 'Deben ser pares clave=valor separados por comas, p. ej. group=tasks',
    'pt-BR': 'Devem ser pares chave=valor separados por vírgulas, p. ex. group=tasks',
  },
  platformScope: {
    en: 'the platform scope is for platform administrators (super admins)',
    es: 'El ámbito de plataforma está reservado a los administradores de la plataforma (superadministradores)',
    'pt-BR': 'O escopo da plataforma é reservado aos administradores da plataforma (superadministradores)',
  },
});
