export { byteSize, formatByteSize, parseByteSize } from './byte-size.ts';
export {
  type DescribeDefaultsOptions,
  defaultsTableMarkdown,
  describeDefaults,
  type SettingRow,
} from './describe-defaults.ts';
export { duration, formatDurationSetting, parseDuration } from './duration.ts';
export { ConfigError, type ConfigProblem } from './errors.ts';
export { type BusSettings, busSchema } from './fragments/bus.ts';
export { type KafkaConnection, kafkaConnectionSchema } from './fragments/kafka-connection.ts';
export { type TelemetrySettings, telemetrySchema } from './fragments/telemetry.ts';
export { type ConfigWarning, type LoadConfigOptions, type LoadedConfig, loadConfig } from './load-config.ts';
export { envName, flagName } from './setting-names.ts';
