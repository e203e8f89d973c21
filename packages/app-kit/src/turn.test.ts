import { describe, expect, it } from 'vitest';
import { createTurnBarrier } from './turn.js';

describe('createTurnBarrier', () => {
  it('gives every caller of one turn the same promise, and the next turn a new one', async () => {
    const endOfTurn = createTurnBarrier();
    const first = endOfTurn();
    expect(endOfTurn()).toBe(first);
    await first;
    const second = endOfTurn();
    expect(second).not.toBe(first);
    await second;
  });

  it('settles in the check phase: after work queued for this turn, before the next turn’s timers', async () => {
    const endOfTurn = createTurnBarrier();
    const order: string[] = [];
    await new Promise<void>((done) => {
      // Inside an I/O-like callback (a timer here): the turn's barrier, then more work of the turn.
      setTimeout(() => {
        void endOfTurn().then(() => order.push('barrier'));
        queueMicrotask(() => order.push('microtask of the turn'));
        setTimeout(() => {
          order.push('next turn timer');
          done();
        }, 0);
      }, 0);
    });
    expect(order).toEqual(['microtask of the turn', 'barrier', 'next turn timer']);
  });
});
