export {
  assertTestBrokerAnswers,
  type BrokerCheckOptions,
  TestBrokerUnreachableError,
  testBrokers,
  uniqueName,
} from './kafka.ts';
export { PythonSetupError, pythonWithInteropPackages, runPython } from './python.ts';
export * from './site/index.ts';
