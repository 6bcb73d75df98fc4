import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponse } from '../errors/error-body';
import { documentErrorResponses } from '../errors/error-responses.openapi';

export const DOCS_PATH = 'docs';

/** Paths that authenticate another way (provider signatures) or not at all. */
const WITHOUT_API_KEY = /^\/(api\/webhooks\/|health\/)/;
/** Signing in and out need no credentials (signing out ends the cookie's session if any). */
const WITHOUT_CREDENTIALS = new Set(['post /api/session', 'delete /api/session']);
/** The session cookie set by POST /api/session (agents/session-cookie.ts). */
const SESSION_COOKIE = 'omni_session';

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
      .addCookieAuth(
        SESSION_COOKIE,
        {
          type: 'apiKey',
          in: 'cookie',
          description:
            'a signed-in agent (POST /api/session); changes only from pages of this origin',
        },
        'session',
      )
      .build(),
    { extraModels: [ErrorResponse] },
  );
  // One rule for the whole API instead of a decorator on every controller.
  for (const [path, item] of Object.entries(document.paths)) {
    const tag = path.split('/').filter(Boolean)[path.startsWith('/api/') ? 1 : 0];
    for (const [method, operation] of Object.entries(item)) {
      if (typeof operation !== 'object' || !operation || !('responses' in operation)) continue;
      const open = WITHOUT_API_KEY.test(path) || WITHOUT_CREDENTIALS.has(`${method} ${path}`);
      operation.security = open ? [] : [{ api_key: [] }, { session: [] }];
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
