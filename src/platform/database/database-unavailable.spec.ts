import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable } from './database-unavailable';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

function sqlError(code: string): QueryFailedError {
  const driverError = new DatabaseError('server said no', 0, 'error');
  driverError.code = code;
  return new QueryFailedError('SELECT 1', [], driverError);
}

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a server gone mid-query', new Error('Connection terminated unexpectedly')],
    ['the connect timeout', new Error('Connection terminated due to connection timeout')],
    ['the pool acquire timeout', new Error('timeout exceeded when trying to connect')],
    ['the client-side query timeout', new Error('Query read timeout')],
    ['an admin shutdown (57P01)', sqlError('57P01')],
    ['a server starting up (57P03)', sqlError('57P03')],
    ['a connection failure (08006)', sqlError('08006')],
    ['too many connections (53300)', sqlError('53300')],
    ['a statement timeout (57014)', sqlError('57014')],
    ['a read-only node after failover (25006)', sqlError('25006')],
    [
      'a refused connection to every address of a host',
      new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''),
    ],
    [
      'a socket error wrapped by TypeORM',
      new QueryFailedError('SELECT 1', [], withCode('write EPIPE', 'EPIPE')),
    ],
  ])('recognises %s', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation (23505)', sqlError('23505')],
    ['a syntax error (42601)', sqlError('42601')],
    ['a serialization failure (40001)', sqlError('40001')],
    [
      'a plain programming error',
      new TypeError("Cannot read properties of undefined (reading 'id')"),
    ],
    ['a provider timeout', withCode('timeout of 2000ms exceeded', 'ECONNABORTED')],
    ['not an error at all', 'Connection terminated'],
    ['nothing', undefined],
  ])('does not take %s for an outage', (_, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
