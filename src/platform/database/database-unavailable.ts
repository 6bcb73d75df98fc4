/**
 * SQLSTATEs that say "the database cannot serve you right now", not "your statement is wrong":
 * connection exceptions (class 08), a server shutting down, crashing or starting up (57P01..03),
 * no connection slot left (53300), and a writable statement on a node that is read-only, as
 * after a failover to a standby (25006). The same request works once the server is back.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '25006']);

/**
 * The transaction lost a race with another one (serialization failure, deadlock) and was rolled
 * back whole: running it again is expected to work.
 */
const CONFLICT_SQLSTATES = new Set(['40001', '40P01']);

/**
 * The server is up but failed the statement for reasons of its own: a statement cancelled by
 * statement_timeout or by an operator (57014), a lock not granted within lock_timeout (55P03),
 * insufficient resources (class 53: disk full 53100, out of memory 53200, …), a system or I/O
 * error (class 58), an internal error or corruption (class XX). None says anything about the
 * statement's data, and repeating it may fail the same way until someone acts.
 */
const BROKEN_SQLSTATES = new Set(['57014', '55P03']);
const BROKEN_SQLSTATE_CLASSES = ['53', '58', 'XX'];

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
 * A failure of our database rather than of the statement or its data:
 * - `unavailable`: Postgres is unreachable or not serving (the API answers 503, retry later; the
 *   worker pauses until it answers);
 * - `conflict`: a deadlock or serialization failure rolled the transaction back (repeatable);
 * - `broken`: the server failed the statement itself (timeout, disk full, out of memory, I/O):
 *   a 500 of ours in the API, never a "retry later" that may never succeed.
 * The worker treats all three as its own infrastructure: no message spends a try on them.
 */
export type DatabaseFault = 'unavailable' | 'conflict' | 'broken';

/**
 * Which kind of database fault an error is, or null when it is not one (a constraint, a data
 * exception, a bug). Looks through TypeORM's QueryFailedError (driverError) and wrapped causes.
 */
export function databaseFault(error: unknown, depth = 0): DatabaseFault | null {
  if (typeof error !== 'object' || error === null || depth > MAX_DEPTH) return null;
  const { code, message, driverError, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code)) return 'unavailable';
    if (UNAVAILABLE_SOCKET_CODES.has(code)) return 'unavailable';
    if (CONFLICT_SQLSTATES.has(code)) return 'conflict';
    if (BROKEN_SQLSTATES.has(code) || BROKEN_SQLSTATE_CLASSES.includes(code.slice(0, 2))) {
      return 'broken';
    }
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return 'unavailable';
  // Node reports a refused connection to every address of a host name as an AggregateError.
  const nested = [driverError, cause, ...(Array.isArray(errors) ? errors : [])];
  for (const inner of nested) {
    const fault = inner !== error ? databaseFault(inner, depth + 1) : null;
    if (fault) return fault;
  }
  return null;
}

/** Whether Postgres is unreachable or not serving: the same request works once it is back. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return databaseFault(error) === 'unavailable';
}

/** Whether an error is our database's fault of any kind, never the statement's data's. */
export function isDatabaseFault(error: unknown): boolean {
  return databaseFault(error) !== null;
}
