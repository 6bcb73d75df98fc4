/**
 * SQLSTATEs that say "the database cannot serve you right now", not "your statement is wrong":
 * connection exceptions (class 08), a server shutting down, crashing or starting up (57P01..03),
 * no connection slot left (53300), a statement cancelled by statement_timeout (57014), and a
 * writable statement on a node that is read-only, as after a failover to a standby (25006).
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '25006']);

/** Socket errors of the TCP connection to Postgres. */
const UNAVAILABLE_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * node-postgres and pg-pool raise these without a code: the server closed the connection, the
 * connect or pool-acquire timeout passed, or the client-side query timeout fired.
 */
const UNAVAILABLE_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|timeout expired|Query read timeout|Client has encountered a connection error|Client was closed)/;

const MAX_DEPTH = 4;

/**
 * Whether an error means Postgres is unreachable or not serving, as opposed to a problem with
 * the statement or the data. Callers answer it differently from every other failure: the API
 * with 503 (the client should retry), the worker by waiting without spending a message's tries.
 * Looks through TypeORM's QueryFailedError (driverError) and wrapped causes.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return false;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (UNAVAILABLE_SOCKET_CODES.has(code)) return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  // Node reports a refused connection to every address of a host name as an AggregateError.
  const nested = [driverError, cause, ...(Array.isArray(errors) ? errors : [])];
  return nested.some((inner) => inner !== error && isDatabaseUnavailable(inner, depth + 1));
}
