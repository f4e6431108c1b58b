// What a screen reader hears while a card moves on a board (components/StatusBoard.tsx, built on
// dnd-kit): the card's own label and the column's name, never their ids, in every language.
import { areaMessages } from '../catalogue-type.ts';

export const boardMessages = areaMessages({
  en: {
    roleDescription: 'movable card',
    instructions:
      'To pick up a card, press space or enter. Use the arrow keys to move it to another column. Press space or enter again to drop it there, or escape to cancel.',
    pickedUp: 'Picked up “{{card}}” in {{column}}.',
    over: '“{{card}}” is over {{column}}.',
    overNothing: '“{{card}}” is not over a column.',
    dropped: '“{{card}}” was dropped in {{column}}.',
    droppedNothing: '“{{card}}” was dropped outside the columns; it stays in {{column}}.',
    cancelled: 'Moving “{{card}}” was cancelled; it stays in {{column}}.',
  },
  es: {
    roleDescription: 'tarjeta movible',
    instructions:
      'Para tomar una tarjeta, pulse espacio o Intro. Use las flechas para llevarla a otra columna. Pulse de nuevo espacio o Intro para soltarla allí, o Escape para cancelar.',
    pickedUp: 'Tomó «{{card}}» en {{column}}.',
    over: '«{{card}}» está sobre {{column}}.',
    overNothing: '«{{card}}» no está sobre ninguna columna.',
    dropped: 'Soltó «{{card}}» en {{column}}.',
    droppedNothing: 'Soltó «{{card}}» fuera de las columnas; sigue en {{column}}.',
    cancelled: 'Se canceló el movimiento de «{{card}}»; sigue en {{column}}.',
  },
  ptBR: {
    roleDescription: 'cartão móvel',
    instructions:
      'Para pegar um cartão, pressione espaço ou Enter. Use as setas para levá-lo a outra coluna. Pressione espaço ou Enter de novo para soltá-lo ali, ou Esc para cancelar.',
    pickedUp: 'Você pegou “{{card}}” em {{column}}.',
    over: '“{{card}}” está sobre {{column}}.',
    overNothing: '“{{card}}” não está sobre nenhuma coluna.',
    dropped: 'Você soltou “{{card}}” em {{column}}.',
    droppedNothing: 'Você soltou “{{card}}” fora das colunas; continua em {{column}}.',
    cancelled: 'O movimento de “{{card}}” foi cancelado; continua em {{column}}.',
  },
});
