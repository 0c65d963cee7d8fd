import { z } from 'zod';
import { CommandError } from './errors.ts';

export const SERVICE_NAMES = ['crawler', 'frontier', 'strategy'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Each service package exports its settings schema under `<service>ConfigSchema`. */
const SERVICE_MODULES: Readonly<Record<ServiceName, { module: string; exportName: string }>> = {
  crawler: { module: '@kraul/crawler-service', exportName: 'crawlerConfigSchema' },
  frontier: { module: '@kraul/frontier-service', exportName: 'frontierConfigSchema' },
  strategy: { module: '@kraul/strategy-service', exportName: 'strategyConfigSchema' },
};

/**
 * The settings schema of a service. Loaded on demand, so commands that do not need a
 * service (most of them) do not pay for importing it.
 */
export async function serviceConfigSchema(service: ServiceName): Promise<z.ZodObject> {
  const { module, exportName } = SERVICE_MODULES[service];
  const exports = (await import(module)) as Record<string, unknown>;
  const schema = exports[exportName];
  if (!(schema instanceof z.ZodObject)) {
    throw new CommandError(
      'cli.no_service_schema',
      `the ${service} service does not export its settings schema (${exportName} from ${module})`,
      { service },
    );
  }
  return schema;
}
