import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApiApp } from '../../src/app/create-api-app';
import { loadConfig } from '../../src/platform/config/app-config';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface ApiHarness {
  app: NestFastifyApplication;
  url: string;
  request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/** The real API (same factory as `node dist/main`) in this process, on a free loopback port. */
export async function startApi(env: Record<string, string>): Promise<ApiHarness> {
  const app = await createApiApp(loadConfig(env));
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const base = url.replace('[::1]', '127.0.0.1');
  return {
    app,
    url: base,
    async request(method, path, body, headers = {}) {
      const raw = typeof body === 'string' || body instanceof Buffer;
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(body !== undefined && !raw ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body),
      });
      const text = await response.text();
      let parsed: any = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (TwiML, the WhatsApp challenge): keep the text
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
    close: () => app.close(),
  };
}
