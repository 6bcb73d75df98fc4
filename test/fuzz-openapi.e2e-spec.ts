import fc from 'fast-check';
import { ApiHarness, startApi } from './support/api-harness';
import { closeDb } from './support/db';
import { createConversation, createCustomer } from './support/factories';
import { obliterateOutboundQueues } from './support/queues';
import { testEnv } from './support/test-env';

/**
 * Every operation of the served OpenAPI document, fuzzed with what careless clients and fuzzers
 * send: NUL characters, lone surrogates, numbers beyond 64 bits, wrong JSON types, bodies that
 * are not objects, long strings, the wrong content type. Whatever comes back must not be a 5xx.
 * Bounded: RUNS requests per operation, each operation cut off after TIME_LIMIT_MS. A failure
 * prints the seed: `FUZZ_SEED=<seed> npx jest ... test/fuzz-openapi.e2e-spec.ts` replays it.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const RUNS = 50;
const TIME_LIMIT_MS = 20_000;

type Schema = {
  $ref?: string;
  type?: string;
  format?: string;
  pattern?: string;
  example?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  allOf?: Schema[];
};
type Parameter = { name: string; in: string; required?: boolean; schema?: Schema };
type Operation = {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
};
interface FuzzRequest {
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What Postgres text cannot hold or what is not Unicode. */
const UNSTORABLE_STRINGS = ['\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\ud83d', '\ude00\ud83d'];
/** Numbers as a query string carries them: beyond 64 bits, floats, exponents, hex. */
const NUMERIC_STRINGS = ['9223372036854775808', '1e23', '-1', '1.5', 'NaN', '0x10', '1'.repeat(30)];
const ODD_STRINGS = [
  '',
  ' ',
  '😀',
  '\u202e',
  '%00',
  "'; DROP TABLE customers; --",
  '{"$gt": ""}',
  '__proto__',
  'x'.repeat(70_000),
];
const HOSTILE_NUMBERS = [
  9223372036854775808,
  1e23,
  -1,
  0,
  1.5,
  -0,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER,
];

/** Any code point, plus the lone surrogates and NUL that fast-check's "binary" leaves out. */
const anyChar = fc.oneof(
  fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...UNSTORABLE_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...NUMERIC_STRINGS) },
  { weight: 2, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: anyChar, maxLength: 40 }) },
);
const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);
/** What a query string can carry: strings, repeated once or more. */
const hostileQueryValue = fc.oneof(
  { weight: 5, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.array(hostileString, { minLength: 2, maxLength: 3 }) },
);

/**
 * Percent-encoding that keeps a lone surrogate as the three bytes a fuzzer would put on the wire,
 * where encodeURIComponent throws and URLSearchParams swaps in U+FFFD.
 */
function percentEncode(text: string): string {
  let encoded = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char.length === 2 || code < 0xd800 || code > 0xdfff) {
      encoded += encodeURIComponent(char);
      continue;
    }
    for (const byte of [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]) {
      encoded += `%${byte.toString(16).toUpperCase()}`;
    }
  }
  return encoded;
}

describe('Fuzzing every OpenAPI operation: no input earns a 5xx', () => {
  const env = testEnv({ WHATSAPP_REPLY_WINDOW_HOURS: '0' });
  let api: ApiHarness;
  let document: {
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Schema> };
  };
  /** Real ids, so that some requests get past the 404 into the code that stores things. */
  let knownIds: string[];

  beforeAll(async () => {
    api = await startApi(env);
    document = (await api.request('GET', '/docs-json')).body;
    const customer = await createCustomer(api);
    const conversations = await Promise.all(
      ['whatsapp', 'sms', 'email', 'web'].map((channel) => createConversation(api, channel)),
    );
    const sent = await api.request('POST', '/api/messages', {
      conversation_id: conversations[2].id,
      direction: 'outbound',
      channel: 'email',
      body: 'hello',
    });
    knownIds = [customer.id, sent.body.id, ...conversations.map((c: { id: string }) => c.id)];
  });

  afterAll(async () => {
    await api.close();
    await closeDb();
    await obliterateOutboundQueues(env);
  });

  const resolve = (schema: Schema): Schema => {
    if (schema.$ref) return resolve(document.components.schemas[schema.$ref.split('/').pop()!]);
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    return schema;
  };

  /** A value the schema allows, so that the other fields' hostile values get looked at. */
  const validValue = (raw: Schema, depth = 0): fc.Arbitrary<unknown> => {
    const schema = resolve(raw);
    if (schema.enum) return fc.constantFrom(...schema.enum);
    if (schema.format === 'uuid') return fc.oneof(fc.constantFrom(...knownIds), fc.uuid());
    if (schema.format === 'date-time') {
      return fc.date({ noInvalidDate: true }).map((date) => date.toISOString());
    }
    switch (schema.type) {
      case 'integer':
      case 'number':
        return fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1_000_000 });
      case 'boolean':
        return fc.boolean();
      case 'array':
        return fc.array(schema.items ? validValue(schema.items, depth + 1) : hostileJson, {
          maxLength: 3,
        });
      case 'object':
        return depth > 3 ? fc.constant({}) : objectValue(schema, depth + 1);
      default:
        if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
        return schema.example === undefined
          ? fc.string({ maxLength: 20 })
          : fc.oneof(fc.constant(schema.example), fc.string({ maxLength: 20 }));
    }
  };
  /** Valid values with, most of the time, exactly one field replaced by a hostile one. */
  const withOneHostile = <T extends Record<string, unknown>>(
    valid: fc.Arbitrary<T>,
    names: string[],
    hostile: fc.Arbitrary<unknown>,
  ): fc.Arbitrary<T> =>
    names.length === 0
      ? valid
      : fc
          .tuple(valid, fc.option(fc.tuple(fc.constantFrom(...names), hostile), { freq: 4 }))
          .map(([value, bad]) => (bad ? { ...value, [bad[0]]: bad[1] } : value));
  const objectValue = (schema: Schema, depth = 0): fc.Arbitrary<unknown> => {
    const properties = Object.entries(schema.properties ?? {});
    if (properties.length === 0) return fc.dictionary(hostileString, hostileJson, { maxKeys: 3 });
    const valid = fc.record(
      Object.fromEntries(properties.map(([name, value]) => [name, validValue(value, depth)])),
      { requiredKeys: schema.required ?? [] },
    );
    return withOneHostile(valid, Object.keys(schema.properties ?? {}), hostileJson);
  };

  const requestFor = (
    method: string,
    path: string,
    operation: Operation,
  ): fc.Arbitrary<FuzzRequest> => {
    const parameters = operation.parameters ?? [];
    const pathParams = parameters.filter((p) => p.in === 'path');
    const queryParams = parameters.filter((p) => p.in === 'query');
    const bodySchema = operation.requestBody?.content['application/json']?.schema;
    const validString = (p: Parameter) => validValue(p.schema ?? {}).map(String);
    const validQuery = fc.record(
      Object.fromEntries(queryParams.map((p) => [p.name, validString(p)])),
      { requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name) },
    );
    return fc
      .record({
        pathValues: fc.tuple(...pathParams.map((p) => fc.oneof(validString(p), hostileQueryValue))),
        query: withOneHostile(
          validQuery,
          queryParams.map((p) => p.name),
          fc.oneof(hostileQueryValue, fc.constantFrom(...NUMERIC_STRINGS)),
        ),
        body: bodySchema
          ? fc.oneof({ weight: 4, arbitrary: objectValue(resolve(bodySchema)) }, hostileJson)
          : ['post', 'patch', 'put'].includes(method)
            ? fc.option(hostileJson, { freq: 3 })
            : fc.constant(undefined),
        contentType: fc.constantFrom(
          'application/json',
          'application/json',
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
        ),
        idempotencyKey: fc.option(fc.constantFrom('', ' ', 'key-1', 'x'.repeat(300), 'ümlaut')),
      })
      .map(({ pathValues, query, body, contentType, idempotencyKey }) => {
        let url = path;
        pathParams.forEach((p, i) => {
          url = url.replace(`{${p.name}}`, percentEncode(String(pathValues[i])));
        });
        const qs = Object.entries(query)
          .flatMap(([name, value]) =>
            [value].flat().map((one) => `${name}=${percentEncode(String(one))}`),
          )
          .join('&');
        const headers: Record<string, string> = { 'content-type': contentType };
        if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
        return {
          path: qs ? `${url}?${qs}` : url,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
        };
      });
  };

  it('lists operations to fuzz, webhooks and the event log among them', () => {
    const paths = Object.keys(document.paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/api/messages', '/api/events', '/api/webhooks/whatsapp']),
    );
  });

  // Computed in the tests: the document is fetched from the running API in beforeAll.
  it('answers every operation without a 5xx', async () => {
    const failures: string[] = [];
    let requests = 0;
    const started = Date.now();
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!['get', 'post', 'patch', 'put', 'delete'].includes(method)) continue;
        const property = fc.asyncProperty(requestFor(method, path, operation), async (request) => {
          requests++;
          const response = await api.request(
            method.toUpperCase(),
            request.path,
            request.body,
            request.headers,
          );
          if (response.status >= 500) {
            throw new Error(`${response.status} ${response.text.slice(0, 300)}`);
          }
        });
        const result = await fc.check(property, {
          seed: SEED,
          numRuns: RUNS,
          endOnFailure: true,
          plugins: [fc.interruptAfterTimeLimit(TIME_LIMIT_MS)],
        });
        if (result.failed) {
          failures.push(
            `${method.toUpperCase()} ${path}: ${JSON.stringify(result.counterexample)?.slice(0, 500)} → ${String(result.errorInstance).slice(0, 400)}`,
          );
        }
      }
    }
    console.log(
      `fuzzed ${requests} requests in ${Date.now() - started} ms (seed ${SEED}, ${RUNS} runs per operation)`,
    );
    if (failures.length) {
      throw new Error(`5xx with FUZZ_SEED=${SEED}:\n${failures.join('\n')}`);
    }
  }, 600_000);
});
