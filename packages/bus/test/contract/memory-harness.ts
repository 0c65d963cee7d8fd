import { MemoryBus } from '../../src/memory/memory-bus.ts';
import type { Bus, ConsumerOptions } from '../../src/types.ts';
import type { ContractHarness, DoomedMember } from './harness.ts';

/** The contract harness of the memory bus: a doomed member is a member of the test's own bus that `kill()` silences. */
export function memoryHarness(): ContractHarness {
  let counter = 0;
  return {
    makeBus: async () => new MemoryBus(),
    uniqueTopic: (label) => {
      counter += 1;
      return `${label}-${counter}`;
    },
    startDoomedMember: (options, bus) => startDoomedMember(options, bus),
    fastSession: { sessionTimeoutMs: 500, heartbeatIntervalMs: 100, maxWaitMs: 100 },
  };
}

async function startDoomedMember(options: ConsumerOptions, bus: Bus | undefined): Promise<DoomedMember> {
  if (!(bus instanceof MemoryBus)) {
    throw new Error('a doomed member of the memory bus needs the memory bus the test uses');
  }
  const consumer = bus.consumer(options);
  const received = new Map<string, number[]>();
  await consumer.start({
    onBatch: (batch) => {
      const key = `${batch.topic}:${batch.partition}`;
      const offsets = received.get(key) ?? [];
      for (const record of batch.records) offsets.push(record.offset);
      received.set(key, offsets);
    },
  });
  return {
    received: async () => new Map([...received].map(([key, offsets]) => [key, [...offsets]])),
    assigned: async () => consumer.assignment().map((tp) => `${tp.topic}:${tp.partition}`),
    kill: async () => consumer.kill(),
  };
}
