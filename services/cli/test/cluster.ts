import { createKafkaBus, type KafkaBus } from '@kraul/bus/kafka';
import { testBrokers, uniqueName } from '@kraul/testkit';
import { type KraulRun, type RunKraulOptions, runKraul } from './run-kraul.ts';

/** The environment that points `kraul` at the test broker. */
export function clusterEnv(): Record<string, string> {
  return { KRAUL_KAFKA_BROKERS: testBrokers().join(','), KRAUL_LOG_LEVEL: 'warn' };
}

/** A topic prefix of its own for one test, with a small partition count to keep the broker quick. */
export function testPrefix(label: string): string {
  return uniqueName(`cli-${label}`);
}

/** Runs `kraul` against the test broker with the given prefix. */
export function kraulOn(
  prefix: string,
  args: readonly string[],
  options: RunKraulOptions = {},
): Promise<KraulRun> {
  return runKraul([...args, '--prefix', prefix], { ...options, env: { ...clusterEnv(), ...options.env } });
}

/** A bus of the test's own, to produce records the CLI then reads. */
export function testBus(): KafkaBus {
  return createKafkaBus({ brokers: testBrokers(), clientId: uniqueName('cli-test') });
}
