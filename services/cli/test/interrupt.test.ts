import { afterEach, describe, expect, it } from 'vitest';
import { onInterrupt } from '../src/interrupt.ts';

const listeners = () => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
let uninstall: (() => void) | undefined;

afterEach(() => uninstall?.());

describe('onInterrupt', () => {
  it('calls stop with the first signal and leaves no listener behind once uninstalled', () => {
    const before = listeners();
    const signals: string[] = [];
    uninstall = onInterrupt((signal) => signals.push(signal));
    expect(listeners()).toBe(before + 2);
    // Our handler called directly: emitting the signal would also reach the test runner's own.
    const handler = process.listeners('SIGTERM').at(-1) as (signal: NodeJS.Signals) => void;
    handler('SIGTERM');
    expect(signals).toEqual(['SIGTERM']);
    uninstall();
    uninstall = undefined;
    expect(listeners()).toBe(before);
  });
});
