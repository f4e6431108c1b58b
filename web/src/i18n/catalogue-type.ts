// The shape a translation must have: the English catalogue's keys, with any strings.
export type Widen<T> = { [K in keyof T]: T[K] extends string ? string : Widen<T[K]> };

/** One area's messages in every language; es and pt-BR must have exactly en's keys. */
export function areaMessages<E extends object>(m: { en: E; es: Widen<E>; ptBR: Widen<E> }) {
  return m;
}
