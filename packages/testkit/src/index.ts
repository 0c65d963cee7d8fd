export {
  assertTestBrokerAnswers,
  type BrokerCheckOptions,
  TestBrokerUnreachableError,
  testBrokers,
  uniqueName,
} from './kafka.ts';
export * from './site/index.ts';
