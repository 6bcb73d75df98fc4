import SwaggerParser from '@apidevtools/swagger-parser';
import { ApiHarness, startApi } from './support/api-harness';
import { testEnv } from './support/test-env';

const API_KEY = 'ops-docs-key';

describe('Operations: OpenAPI at /docs and Bull Board at /admin/queues', () => {
  let api: ApiHarness;

  beforeAll(async () => {
    api = await startApi(testEnv({ API_KEYS: API_KEY }));
  });
  afterAll(() => api.close());

  describe('/docs', () => {
    it('serves a valid OpenAPI 3 document without an API key, listing the contract’s paths', async () => {
      const response = await api.request('GET', '/docs-json');
      expect(response.status).toBe(200);
      const document = response.body;
      expect(document.openapi).toMatch(/^3\./);
      const paths = Object.keys(document.paths);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/api/customers',
          '/api/customers/{id}',
          '/api/conversations',
          '/api/conversations/{id}',
          '/api/conversations/{id}/messages',
          '/api/messages',
          '/api/messages/{id}',
          '/api/messages/{id}/attempts',
          '/api/messages/{id}/retry',
          '/api/messages/{id}/receipts',
          '/api/events',
          '/api/inbound-events',
          '/api/inbound-events/{id}',
          '/api/inbound-events/{id}/replay',
          '/api/inbound-events/replay',
          '/api/webhooks/whatsapp',
          '/api/webhooks/sms',
          '/api/webhooks/sms/status',
          '/api/webhooks/email',
          '/api/webhooks/web',
          '/health/live',
          '/health/ready',
        ]),
      );
      // A deep copy: the validator dereferences in place.
      await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeTruthy();
    });

    it('documents the message body with contract examples, and who needs the API key', async () => {
      const document = (await api.request('GET', '/docs-json')).body;
      const post = document.paths['/api/messages'].post;
      const schema = document.components.schemas.CreateMessageDto;
      expect(schema.required).toEqual(
        expect.arrayContaining(['conversation_id', 'direction', 'channel']),
      );
      expect(schema.properties.channel.enum).toEqual(['whatsapp', 'sms', 'email', 'web']);
      expect(schema.properties.direction.example).toBe('outbound');
      expect(schema.properties.template.$ref).toBe('#/components/schemas/TemplateDto');
      expect(document.components.schemas.TemplateDto.properties.language.example).toBe('en_US');
      expect(post.responses['202'].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/MessageResponse',
      );
      expect(document.components.schemas.MessageResponse.properties.status.example).toBe('queued');
      expect(post.security).toEqual([{ api_key: [] }, { session: [] }]);
      expect(document.paths['/api/webhooks/whatsapp'].post.security).toEqual([]);
      expect(document.paths['/health/ready'].get.security).toEqual([]);
    });

    it('documents agents and sessions: who may call them, what they answer, never a password', async () => {
      const document = (await api.request('GET', '/docs-json')).body;
      const { paths } = document;
      const { schemas } = document.components;
      expect(document.components.securitySchemes.session).toMatchObject({
        type: 'apiKey',
        in: 'cookie',
        name: 'omni_session',
      });
      expect(paths['/api/session'].post.security).toEqual([]);
      expect(paths['/api/session'].delete.security).toEqual([]);
      expect(paths['/api/session'].get.security).toEqual([{ api_key: [] }, { session: [] }]);
      expect(Object.keys(paths['/api/session'].post.responses)).toEqual(
        expect.arrayContaining(['200', '400', '401', '403', '429']),
      );
      expect(Object.keys(paths['/api/agents'].post.responses)).toEqual(
        expect.arrayContaining(['201', '400', '401', '403', '409']),
      );
      expect(paths['/api/agents/{id}'].delete.responses['204']).toBeDefined();
      expect(paths['/api/conversations/{id}/read'].post.responses['200']).toBeDefined();
      expect(schemas.CreateAgentDto.properties.password.minLength).toBe(12);
      expect(Object.keys(schemas.AgentResponse.properties).sort()).toEqual([
        'created_at',
        'email',
        'id',
        'name',
        'role',
        'updated_at',
      ]);
      expect(Object.keys(schemas.ConversationResponse.properties)).toEqual(
        expect.arrayContaining(['assignee_id', 'unread_count', 'last_message_at', 'last_message']),
      );
      expect(schemas.LastMessageResponse.properties.body.maxLength).toBe(140);
    });

    it('describes what the customer, conversation and message endpoints answer', async () => {
      const document = (await api.request('GET', '/docs-json')).body;
      const schemaOf = (path: string, method: string, status: string) =>
        document.paths[path][method].responses[status].content['application/json'].schema.$ref;
      expect(schemaOf('/api/customers', 'post', '201')).toBe(
        '#/components/schemas/CustomerResponse',
      );
      expect(schemaOf('/api/customers/{id}', 'get', '200')).toBe(
        '#/components/schemas/CustomerResponse',
      );
      expect(schemaOf('/api/conversations/{id}', 'patch', '200')).toBe(
        '#/components/schemas/ConversationResponse',
      );
      expect(schemaOf('/api/messages/{id}', 'get', '200')).toBe(
        '#/components/schemas/MessageResponse',
      );
      expect(schemaOf('/api/messages/{id}/retry', 'post', '202')).toBe(
        '#/components/schemas/MessageResponse',
      );
      expect(document.components.schemas.CustomerResponse.properties.phone.example).toBe(
        '+14155550100',
      );
      expect(document.components.schemas.ConversationResponse.properties.status.enum).toEqual([
        'open',
        'closed',
      ]);
    });

    it('describes what the list, attempt, receipt, event-log and inbound endpoints answer', async () => {
      const document = (await api.request('GET', '/docs-json')).body;
      const { schemas } = document.components;
      const schemaOf = (path: string, method: string, status = '200') =>
        document.paths[path][method].responses[status].content['application/json'].schema.$ref;
      const ref = (name: string) => `#/components/schemas/${name}`;
      /** `{ data: [item] }`, plus the cursor when it is a page. */
      const expectListOf = (name: string, item: string, paged: boolean) => {
        expect(schemas[name].properties.data).toEqual({
          type: 'array',
          items: { $ref: ref(item) },
        });
        expect(schemas[name].required).toEqual(
          expect.arrayContaining(paged ? ['data', 'next_cursor'] : ['data']),
        );
        if (paged) {
          expect(schemas[name].properties.next_cursor).toMatchObject({
            type: 'string',
            nullable: true,
          });
        } else {
          expect(schemas[name].properties.next_cursor).toBeUndefined();
        }
      };

      expect(schemaOf('/api/customers', 'get')).toBe(ref('CustomerPage'));
      expectListOf('CustomerPage', 'CustomerResponse', true);
      expect(schemaOf('/api/conversations', 'get')).toBe(ref('ListedConversationPage'));
      expectListOf('ListedConversationPage', 'ListedConversationResponse', true);
      expect(schemaOf('/api/messages', 'get')).toBe(ref('MessagePage'));
      expect(schemaOf('/api/conversations/{id}/messages', 'get')).toBe(ref('MessagePage'));
      expectListOf('MessagePage', 'MessageResponse', true);

      expect(schemaOf('/api/messages/{id}/attempts', 'get')).toBe(ref('AttemptList'));
      expectListOf('AttemptList', 'AttemptResponse', false);
      expect(schemas.AttemptResponse.properties.outcome.enum).toEqual([
        'sent',
        'transient_error',
        'permanent_error',
      ]);
      expect(schemas.AttemptResponse.properties.http_status).toMatchObject({
        type: 'number',
        nullable: true,
      });

      expect(schemaOf('/api/messages/{id}/receipts', 'get')).toBe(ref('ReceiptList'));
      expectListOf('ReceiptList', 'ReceiptResponse', false);
      expect(schemas.ReceiptResponse.properties.receipt_status).toMatchObject({
        enum: ['sent', 'delivered', 'read', 'failed'],
        nullable: true,
      });

      expect(schemaOf('/api/events', 'get')).toBe(ref('EventPage'));
      expectListOf('EventPage', 'EventResponse', true);
      expect(schemas.EventResponse.properties.type.enum).toEqual(
        expect.arrayContaining(['message.created', 'message.updated', 'customer.created']),
      );
      expect(schemas.EventResponse.properties.seq.type).toBe('number');

      expect(schemaOf('/api/inbound-events', 'get')).toBe(ref('InboundEventPage'));
      expectListOf('InboundEventPage', 'InboundEventResponse', true);
      expect(schemaOf('/api/inbound-events/{id}', 'get')).toBe(ref('InboundEventResponse'));
      expect(schemaOf('/api/inbound-events/{id}/replay', 'post')).toBe(ref('InboundEventResponse'));
      expect(schemaOf('/api/inbound-events/replay', 'post')).toBe(ref('InboundEventList'));
      /** The query parameters of an operation: name → required. */
      const queryOf = (path: string, method: string) =>
        Object.fromEntries(
          document.paths[path][method].parameters
            .filter((parameter: { in: string }) => parameter.in === 'query')
            .map((parameter: { name: string; required: boolean }) => [
              parameter.name,
              parameter.required,
            ]),
        );
      expect(queryOf('/api/inbound-events/replay', 'post')).toEqual({ from: true, to: false });
      expect(queryOf('/api/inbound-events', 'get')).toMatchObject({
        status: false,
        provider: false,
        limit: false,
        cursor: false,
      });
      expect(queryOf('/api/events', 'get')).toEqual({
        after: false,
        cursor: false,
        limit: false,
        conversation_id: false,
      });
      expectListOf('InboundEventList', 'InboundEventResponse', false);
      const inboundEvent = schemas.InboundEventResponse;
      expect(Object.keys(inboundEvent.properties).sort()).toEqual(
        [
          'attempts',
          'created_at',
          'error',
          'event_key',
          'headers',
          'id',
          'processed_at',
          'provider',
          'status',
        ].sort(),
      );
      expect(inboundEvent.properties.status.enum).toEqual(['received', 'processed', 'failed']);
      expect(inboundEvent.properties.provider.enum).toEqual([
        'whatsapp',
        'sms',
        'sms_status',
        'email',
        'web',
      ]);
      expect(inboundEvent.properties.processed_at).toMatchObject({
        type: 'string',
        nullable: true,
      });

      for (const provider of ['whatsapp', 'email', 'web']) {
        expect(schemaOf(`/api/webhooks/${provider}`, 'post')).toBe(ref('WebhookAck'));
      }
      expect(schemas.WebhookAck.properties.status.enum).toEqual([
        'received',
        'processed',
        'failed',
      ]);
    });

    it('lists on every operation the errors it can answer, in the one error shape', async () => {
      const document = (await api.request('GET', '/docs-json')).body;
      const errorSchema = document.components.schemas.ErrorResponse;
      expect(errorSchema.required).toEqual(
        expect.arrayContaining(['statusCode', 'error', 'message']),
      );
      expect(errorSchema.properties.error.enum).toEqual(
        expect.arrayContaining([
          'validation_failed',
          'invalid_json',
          'not_found',
          'conflict',
          'unauthorized',
          'payload_too_large',
          'unsupported_media_type',
          'whatsapp_window_closed',
          'internal_error',
        ]),
      );
      expect(errorSchema.properties.errors.items.$ref).toBe(
        '#/components/schemas/FieldProblemResponse',
      );

      const errorStatuses: Record<string, string[]> = {};
      const problems: string[] = [];
      for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
        for (const [method, operation] of Object.entries<any>(item)) {
          const name = `${method.toUpperCase()} ${path}`;
          const errors = Object.keys(operation.responses).filter((status) => +status >= 400);
          errorStatuses[name] = errors;
          if (errors.length === 0) problems.push(`${name} lists no error response`);
          if (path.startsWith('/api/') && !errors.some((status) => +status < 500)) {
            problems.push(`${name} lists no 4xx`);
          }
          for (const status of errors) {
            if (path === '/health/ready' && status === '503') continue; // the health report
            const schema = operation.responses[status].content?.['application/json']?.schema;
            if (schema?.$ref !== '#/components/schemas/ErrorResponse') {
              problems.push(`${name} ${status} is not an ErrorResponse`);
            }
          }
        }
      }
      expect(problems).toEqual([]);

      const expected: Record<string, string[]> = {
        'POST /api/messages': ['400', '401', '404', '409', '413', '415', '422', '500'],
        'GET /api/messages/{id}': ['400', '401', '404', '500'],
        'GET /api/messages': ['400', '401', '500'],
        'POST /api/messages/{id}/retry': ['400', '401', '404', '409', '413', '415', '500'],
        'POST /api/customers': ['400', '401', '409', '413', '415', '500'],
        'PATCH /api/customers/{id}': ['400', '401', '404', '409', '413', '415', '500'],
        'POST /api/conversations': ['400', '401', '404', '409', '413', '415', '500'],
        'GET /api/events': ['400', '401', '410', '500'],
        'POST /api/inbound-events/{id}/replay': ['400', '401', '404', '409', '413', '415', '500'],
        'POST /api/webhooks/whatsapp': ['400', '401', '413', '415', '500'],
        'GET /api/webhooks/whatsapp': ['400', '403', '500'],
        'POST /api/webhooks/sms': ['400', '403', '413', '415', '500'],
        'POST /api/webhooks/email': ['400', '401', '413', '415', '500'],
        'POST /api/webhooks/web': ['400', '401', '413', '415', '500'],
        'POST /api/webhooks/web/{senderId}': ['400', '401', '404', '413', '415', '500'],
        'GET /health/ready': ['500', '503'],
      };
      for (const [name, statuses] of Object.entries(expected)) {
        expect({ name, statuses: errorStatuses[name]?.sort() }).toEqual({ name, statuses });
      }
      const windowClosed = document.paths['/api/messages'].post.responses['422'].description;
      expect(windowClosed).toMatch(/whatsapp_window_closed/);
    });

    it('serves the Swagger UI', async () => {
      const response = await api.request('GET', '/docs');
      expect(response.status).toBe(200);
      expect(response.text).toContain('swagger-ui');
    });
  });

  describe('/admin/queues', () => {
    it('refuses a visitor without the key, asking the browser for it', async () => {
      const response = await api.request('GET', '/admin/queues');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(response.body.error).toBe('unauthorized');
      const wrong = await api.request('GET', '/admin/queues/api/queues', undefined, {
        authorization: `Basic ${Buffer.from('admin:not-the-key').toString('base64')}`,
      });
      expect(wrong.status).toBe(401);
    });

    it('shows the board with the key as Bearer or as the HTTP Basic password', async () => {
      const page = await api.request('GET', '/admin/queues', undefined, {
        authorization: `Bearer ${API_KEY}`,
      });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);

      const queues = await api.request('GET', '/admin/queues/api/queues', undefined, {
        authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`,
      });
      expect(queues.status).toBe(200);
      expect(queues.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual([
        'outbound-email',
        'outbound-sms',
        'outbound-web',
        'outbound-whatsapp',
      ]);
    });
  });
});
