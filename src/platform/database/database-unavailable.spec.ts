import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { databaseFault, isDatabaseUnavailable } from './database-unavailable';

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
    ['a statement timeout (57014)', sqlError('57014')],
    ['a full disk (53100)', sqlError('53100')],
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

  it.each([
    ['a connection failure (08006)', sqlError('08006'), 'unavailable'],
    ['too many connections (53300)', sqlError('53300'), 'unavailable'],
    ['a read-only node (25006)', sqlError('25006'), 'unavailable'],
    ['a server gone mid-query', new Error('Connection terminated unexpectedly'), 'unavailable'],
    ['a deadlock (40P01)', sqlError('40P01'), 'conflict'],
    ['a serialization failure (40001)', sqlError('40001'), 'conflict'],
    ['a statement timeout (57014)', sqlError('57014'), 'broken'],
    ['a lock timeout (55P03)', sqlError('55P03'), 'broken'],
    ['a full disk (53100)', sqlError('53100'), 'broken'],
    ['an out-of-memory (53200)', sqlError('53200'), 'broken'],
    ['an I/O error (58030)', sqlError('58030'), 'broken'],
    ['an internal error (XX000)', sqlError('XX000'), 'broken'],
    [
      'a statement timeout wrapped as a cause',
      new Error('erasure failed', { cause: sqlError('57014') }),
      'broken',
    ],
  ])('classes %s as our own fault', (_, error, fault) => {
    expect(databaseFault(error)).toBe(fault);
  });

  it.each([
    ['a unique violation (23505)', sqlError('23505')],
    ['a foreign key violation (23503)', sqlError('23503')],
    ['a NUL in text (22021)', sqlError('22021')],
    ['a syntax error (42601)', sqlError('42601')],
    ['a provider timeout', withCode('timeout of 2000ms exceeded', 'ECONNABORTED')],
  ])('does not take %s for a fault of ours', (_, error) => {
    expect(databaseFault(error)).toBeNull();
  });
});
