export {
  assertTestBrokerAnswers,
  type BrokerCheckOptions,
  TestBrokerUnreachableError,
  testBrokers,
  uniqueName,
} from './kafka.ts';
export {
  type ScriptedCluster,
  type ScriptedClusterOptions,
  startScriptedCluster,
  tlsFile,
} from './kafka-cluster.ts';
export { PythonSetupError, pythonWithInteropPackages, runPython } from './python.ts';
export * from './site/index.ts';
