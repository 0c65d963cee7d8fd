/** `maxPagesPerHost` → `MAX_PAGES_PER_HOST`, `http2Enabled` → `HTTP2_ENABLED`. */
export function screamingSnake(camel: string): string {
  return camel
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

/** `['kafka', 'brokers']` with prefix `KRAUL_` → `KRAUL_KAFKA_BROKERS`. */
export function envName(path: readonly string[], envPrefix: string): string {
  return envPrefix + path.map(screamingSnake).join('_');
}

/**
 * `['kafka', 'tls', 'rejectUnauthorized']` → `--kafka.tls.reject-unauthorized`. A CLI
 * parser such as commander camel-cases on `-` only, so this flag arrives as the key
 * `kafka.tls.rejectUnauthorized`: the dotted path `loadConfig` reads flags by.
 */
export function flagName(path: readonly string[]): string {
  return `--${path.map((part) => part.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()).join('.')}`;
}

const SECRET_WORDS = ['password', 'secret', 'token', 'key'];

/** Values of settings whose name mentions a secret are never echoed back. */
export function isSecret(path: readonly string[]): boolean {
  const name = path.join('.').toLowerCase();
  return SECRET_WORDS.some((word) => name.includes(word));
}
