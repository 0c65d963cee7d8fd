import { assertTestBrokerAnswers } from './kafka.ts';

// Integration tests need the real broker. Checking once here turns a missing broker
// into one error that says how to start it, instead of every test timing out on its own.
export default async function setup(): Promise<void> {
  await assertTestBrokerAnswers();
}
