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
      expect(post.security).toEqual([{ api_key: [] }]);
      expect(document.paths['/api/webhooks/whatsapp'].post.security).toEqual([]);
      expect(document.paths['/health/ready'].get.security).toEqual([]);
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
      expect(response.body.error).toBe('Unauthorized');
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
