import { Admin } from '@platformatic/kafka';
import { BusError } from '../errors.ts';
import { clientOptions, type KafkaBusOptions, resolveKafkaBusOptions } from './options.ts';

/**
 * Why the brokers refused this client for good: a setting is wrong, and retrying the same
 * request would only repeat the refusal (and, for a wrong password, lock the account or
 * fill the broker's log).
 */
export type KafkaAccessProblem =
  | 'sasl_authentication'
  | 'sasl_mechanism'
  | 'tls_untrusted'
  | 'tls_not_spoken'
  | 'closed_in_handshake';

/** The brokers refused the client's credentials or certificates: a configuration error, not a transient one. */
export class KafkaAccessError extends BusError {
  readonly problem: KafkaAccessProblem;
  readonly broker: string;

  constructor(problem: KafkaAccessProblem, broker: string, message: string, cause?: unknown) {
    super(`bus.access_${problem}`, message, { broker, problem }, cause);
    this.problem = problem;
    this.broker = broker;
  }
}

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  apiId?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/** Every error of a @platformatic/kafka error tree (causes and aggregated errors), depth first. */
function* errorTree(error: unknown, depth = 0): Generator<ErrorLike> {
  if (error === null || typeof error !== 'object' || depth > 8) return;
  const node = error as ErrorLike;
  yield node;
  if (Array.isArray(node.errors)) for (const inner of node.errors) yield* errorTree(inner, depth + 1);
  yield* errorTree(node.cause, depth + 1);
}

const TLS_VERIFY_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Reads a failed connection attempt: the refusal it stands for, or undefined when it may
 * pass on its own (refused or reset connections, timeouts, a broker still starting).
 * Never includes a password: messages name the user, the mechanism and the broker only.
 */
export function classifyAccessFailure(
  error: unknown,
  broker: string,
  options: Pick<KafkaBusOptions, 'sasl' | 'tls'>,
): KafkaAccessError | undefined {
  const nodes = [...errorTree(error)];
  const codes = new Set(nodes.map((node) => String(node.code ?? '')));
  const apiIds = new Set(nodes.map((node) => String(node.apiId ?? '')));
  const messages = nodes.map((node) => String(node.message ?? ''));
  const sasl = options.sasl;
  const who = sasl ? `user "${sasl.username}" with ${sasl.mechanism}` : 'no SASL';

  if (apiIds.has('SASL_AUTHENTICATION_FAILED')) {
    return new KafkaAccessError(
      'sasl_authentication',
      broker,
      `kafka ${broker}: SASL authentication failed for ${who}: check the username and password ` +
        '(KRAUL_KAFKA_SASL_USERNAME, KRAUL_KAFKA_SASL_PASSWORD or KRAUL_KAFKA_SASL_PASSWORD_FILE)',
      error,
    );
  }
  if (apiIds.has('UNSUPPORTED_SASL_MECHANISM') || messages.some((m) => /suitable SASL mechanism/i.test(m))) {
    const hint = apiIds.has('ILLEGAL_SASL_STATE')
      ? 'this listener does not take SASL: drop --sasl-mechanism, or use the SASL listener'
      : 'the listener does not enable this mechanism: pick one it lists in sasl.enabled.mechanisms';
    return new KafkaAccessError(
      'sasl_mechanism',
      broker,
      `kafka ${broker}: ${sasl ? `SASL ${sasl.mechanism}` : 'SASL'} refused: ${hint}`,
      error,
    );
  }
  const verify = nodes.find((node) => TLS_VERIFY_CODES.has(String(node.code ?? '')));
  if (verify) {
    const reason = String(verify.message ?? verify.code).split(';')[0];
    return new KafkaAccessError(
      'tls_untrusted',
      broker,
      `kafka ${broker}: the broker's TLS certificate is not trusted (${reason}): ` +
        'give the CA that signed it with --tls-ca (KRAUL_KAFKA_TLS_CA)',
      error,
    );
  }
  if (codes.has('PLT_KFK_USER') && messages.some((m) => /TLS handshake failed/i.test(m))) {
    return new KafkaAccessError(
      'tls_not_spoken',
      broker,
      `kafka ${broker}: the TLS handshake failed: this listener does not speak TLS ` +
        '(drop --tls, or use the TLS listener)',
      error,
    );
  }
  return undefined;
}

/** What checkKafkaAccess needs: the bus options, plus how often a closed handshake is tried. */
export interface KafkaAccessCheckOptions extends KafkaBusOptions {
  /** Attempts per broker before a connection the broker closes during the handshake is taken as a refusal. Default: 2. */
  closedHandshakeAttempts?: number;
}

/**
 * One request to each bootstrap broker with no retries, before a role or command starts
 * its real clients. Resolves when one broker answers, or when every failure may pass on its
 * own (the caller's own retries then deal with it). Rejects with a KafkaAccessError when a
 * broker refuses the credentials, the mechanism or the certificates: one clear line,
 * instead of every client retrying a request that cannot succeed.
 */
export async function checkKafkaAccess(options: KafkaAccessCheckOptions): Promise<void> {
  const resolved = resolveKafkaBusOptions(options);
  const closedAttempts = options.closedHandshakeAttempts ?? 2;
  let refusal: KafkaAccessError | undefined;
  for (const broker of options.brokers) {
    let closed = 0;
    for (;;) {
      const admin = new Admin({
        ...clientOptions({ ...resolved, brokers: [broker] }, 'access-check'),
        retries: 0,
      });
      try {
        await admin.listTopics();
        return;
      } catch (error) {
        const classified = classifyAccessFailure(error, broker, options);
        if (classified) {
          refusal ??= classified;
          break;
        }
        // A broker that closes the connection before answering anything: a TLS or SASL
        // listener spoken to in plaintext, or a listener that requires a client certificate.
        // A broker shutting down does the same, so it is tried once more first.
        if ([...errorTree(error)].some((node) => node.message === 'Connection closed')) {
          closed += 1;
          if (closed < closedAttempts) continue;
          refusal ??= new KafkaAccessError(
            'closed_in_handshake',
            broker,
            `kafka ${broker}: the broker closed the connection before answering: the listener ` +
              'may expect TLS (--tls), SASL (--sasl-mechanism) or a client certificate (--tls-cert, --tls-key)',
            error,
          );
        }
        break;
      } finally {
        await admin.close().catch(() => {});
      }
    }
  }
  if (refusal) throw refusal;
}
