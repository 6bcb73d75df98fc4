import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponse } from '../errors/error-body';
import { documentErrorResponses } from '../errors/error-responses.openapi';

export const DOCS_PATH = 'docs';

/** Paths that authenticate another way (provider signatures) or not at all. */
const WITHOUT_API_KEY = /^\/(api\/webhooks\/|health\/)/;

export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Omnichannel messaging API')
      .setDescription(
        'WhatsApp, SMS, email and web messages behind one REST API. Outbound messages are queued ' +
          '(202) and sent by the worker; see docs/ for operations.',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'one of API_KEYS' }, 'api_key')
      .build(),
    { extraModels: [ErrorResponse] },
  );
  // One rule for the whole API instead of a decorator on every controller.
  for (const [path, item] of Object.entries(document.paths)) {
    const tag = path.split('/').filter(Boolean)[path.startsWith('/api/') ? 1 : 0];
    for (const operation of Object.values(item)) {
      if (typeof operation !== 'object' || !operation || !('responses' in operation)) continue;
      operation.security = WITHOUT_API_KEY.test(path) ? [] : [{ api_key: [] }];
      if (!operation.tags?.length && tag) operation.tags = [tag];
    }
  }
  documentErrorResponses(document);
  return document;
}

/** Swagger UI at /docs and the document at /docs-json. */
export function setupOpenApi(app: NestFastifyApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    yamlDocumentUrl: `${DOCS_PATH}-yaml`,
  });
}
