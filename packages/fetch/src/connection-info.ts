import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

/** What the fetcher learns about the connection that carried one response. */
export interface ResponseConnection {
  /** Remote IP of the socket. */
  address: string | undefined;
  /** Name resolution time, when this response opened the connection and the host was a name. */
  dnsMs: number | undefined;
  /** TCP (and TLS) setup time after resolution, when this response opened the connection. */
  connectMs: number | undefined;
}

interface ConnectionSetup {
  dnsMs: number | undefined;
  connectMs: number;
  requests: number;
}

const setups = new WeakMap<Socket, ConnectionSetup>();
const requestSockets = new WeakMap<object, { socket: Socket; first: boolean }>();
let lastResponse: { socket: Socket; first: boolean } | undefined;
let tracking = false;

type RawConnector = (
  options: buildConnector.Options,
  callback: buildConnector.Callback,
) => Socket | undefined;

/**
 * undici's connector, timed: records on each socket how long resolution and connecting took.
 * (undici's connector returns the socket it creates; its type says void.)
 */
export function timedConnector(options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = buildConnector(options) as unknown as RawConnector;
  return (connectOptions, callback) => {
    const startedAt = performance.now();
    let resolvedAt: number | undefined;
    const socket = connect(connectOptions, (...args) => {
      const [error, connected] = args;
      if (connected) {
        const doneAt = performance.now();
        setups.set(connected, {
          dnsMs: resolvedAt === undefined ? undefined : resolvedAt - startedAt,
          connectMs: doneAt - (resolvedAt ?? startedAt),
          requests: 0,
        });
        callback(null, connected);
      } else {
        callback(error ?? new Error('connect failed'), null);
      }
    });
    socket?.once('lookup', () => {
      resolvedAt ??= performance.now();
    });
  };
}

/**
 * undici does not tell a request which socket carried it, but its diagnostics channels do:
 * `sendHeaders` pairs request and socket, and `request:headers` is published immediately
 * before the response handler runs, synchronously. So the response callback can take the
 * socket of "the response whose headers were just parsed".
 */
export function trackResponseConnections(): void {
  if (tracking) return;
  tracking = true;
  subscribe('undici:client:sendHeaders', (message) => {
    const { request, socket } = message as { request: object; socket: Socket };
    const setup = setups.get(socket);
    if (setup === undefined) return;
    setup.requests += 1;
    requestSockets.set(request, { socket, first: setup.requests === 1 });
  });
  subscribe('undici:request:headers', (message) => {
    lastResponse = requestSockets.get((message as { request: object }).request);
  });
}

/** Call synchronously from undici's response callback, before anything else can run. */
export function takeResponseConnection(): ResponseConnection | undefined {
  const response = lastResponse;
  lastResponse = undefined;
  if (response === undefined) return undefined;
  const setup = setups.get(response.socket);
  return {
    address: response.socket.remoteAddress,
    dnsMs: response.first ? setup?.dnsMs : undefined,
    connectMs: response.first ? setup?.connectMs : undefined,
  };
}
