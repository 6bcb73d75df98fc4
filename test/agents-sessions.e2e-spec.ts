import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiHarness, ApiResponse, startApi } from './support/api-harness';
import { closeDb, sql } from './support/db';
import { connectEvents, refusal } from './support/event-socket';
import { testEnv, TEST_DATABASE_URL } from './support/test-env';
import { waitFor } from './support/wait-for';

const API_KEY = 'agents-test-key';
const KEY = { authorization: `Bearer ${API_KEY}` };
const PASSWORD = 'correct horse battery staple';

const uniqueAgentEmail = () => `agent-${randomBytes(6).toString('hex')}@example.com`;

/** `omni_session=…` of a Set-Cookie answer, as a browser would send it back. */
function cookieOf(response: ApiResponse): string {
  const setCookie = response.headers.get('set-cookie') ?? '';
  const match = /^(omni_session=[^;]*)/.exec(setCookie);
  if (!match) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return match[1];
}

describe('Agents and sessions', () => {
  let api: ApiHarness;
  let admin: { id: string; email: string };
  let agent: { id: string; email: string };

  async function createAgent(role: 'admin' | 'agent', fields: Record<string, unknown> = {}) {
    const response = await api.request(
      'POST',
      '/api/agents',
      { email: uniqueAgentEmail(), name: `An ${role}`, password: PASSWORD, role, ...fields },
      KEY,
    );
    expect(response.status).toBe(201);
    return response.body;
  }

  async function signIn(email: string, password = PASSWORD, target = api) {
    return target.request('POST', '/api/session', { email, password });
  }

  async function cookieFor(who: { email: string }) {
    const response = await signIn(who.email);
    expect(response.status).toBe(200);
    return cookieOf(response);
  }

  beforeAll(async () => {
    api = await startApi(testEnv({ API_KEYS: API_KEY }));
    admin = await createAgent('admin');
    agent = await createAgent('agent');
  });
  afterAll(async () => {
    await api.close();
    await closeDb();
  });

  describe('managing agents', () => {
    it('creates, lists, reads, changes and deletes agents, never answering a password or its hash', async () => {
      const email = `Grace.${randomBytes(4).toString('hex')}@Example.com`;
      const created = await api.request(
        'POST',
        '/api/agents',
        { email, name: 'Grace Hopper', password: PASSWORD, role: 'agent' },
        KEY,
      );
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        email: email.toLowerCase(),
        name: 'Grace Hopper',
        role: 'agent',
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const [row] = await sql('SELECT password_hash FROM agents WHERE id = $1', [created.body.id]);
      expect(row.password_hash).toMatch(/^\$scrypt\$ln=15,r=8,p=3\$/);
      expect(row.password_hash).not.toContain(PASSWORD);

      const id = created.body.id;
      const answers = [
        created,
        await api.request('GET', `/api/agents/${id}`, undefined, KEY),
        await api.request('GET', '/api/agents?limit=200', undefined, KEY),
        await api.request(
          'PATCH',
          `/api/agents/${id}`,
          { role: 'admin', name: 'Rear Admiral' },
          KEY,
        ),
      ];
      for (const answer of answers) {
        expect(answer.text).not.toContain(PASSWORD);
        expect(answer.text).not.toContain('scrypt');
        expect(answer.text).not.toMatch(/password/i);
      }
      expect(answers[1].body).toEqual(created.body);
      expect(answers[2].body.data.map((a: { id: string }) => a.id)).toContain(id);
      expect(answers[3].body).toMatchObject({ id, role: 'admin', name: 'Rear Admiral' });

      const removed = await api.request('DELETE', `/api/agents/${id}`, undefined, KEY);
      expect(removed.status).toBe(204);
      expect((await api.request('GET', `/api/agents/${id}`, undefined, KEY)).status).toBe(404);
      expect((await api.request('DELETE', `/api/agents/${id}`, undefined, KEY)).status).toBe(404);
    });

    it('refuses short passwords, unknown roles, bad emails and a taken email, naming the field', async () => {
      const short = await api.request(
        'POST',
        '/api/agents',
        { email: uniqueAgentEmail(), name: 'Short', password: 'elevenchars', role: 'agent' },
        KEY,
      );
      expect(short.status).toBe(400);
      expect(short.body.errors).toEqual([
        { field: 'password', message: 'password must be at least 12 characters long' },
      ]);
      expect(short.text).not.toContain('elevenchars');

      const role = await api.request(
        'POST',
        '/api/agents',
        { email: 'not an email', name: 'X', password: PASSWORD, role: 'owner' },
        KEY,
      );
      expect(role.status).toBe(400);
      expect(role.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
        'email',
        'role',
      ]);

      const taken = await api.request(
        'POST',
        '/api/agents',
        { email: agent.email.toUpperCase(), name: 'Twin', password: PASSWORD, role: 'agent' },
        KEY,
      );
      expect(taken.status).toBe(409);
      expect(taken.body).toMatchObject({ error: 'conflict', message: 'email is already taken' });

      const nulled = await api.request('PATCH', `/api/agents/${agent.id}`, { name: null }, KEY);
      expect(nulled.status).toBe(400);
      expect(nulled.body.errors[0].field).toBe('name');
    });

    it('lets admins manage agents with their session, and refuses agents (403) and strangers (401)', async () => {
      const adminCookie = await cookieFor(admin);
      const agentCookie = await cookieFor(agent);
      const listed = await api.request('GET', '/api/agents', undefined, { cookie: adminCookie });
      expect(listed.status).toBe(200);
      const made = await api.request(
        'POST',
        '/api/agents',
        { email: uniqueAgentEmail(), name: 'By an admin', password: PASSWORD, role: 'agent' },
        { cookie: adminCookie },
      );
      expect(made.status).toBe(201);

      for (const [method, path, body] of [
        ['GET', '/api/agents', undefined],
        ['GET', `/api/agents/${admin.id}`, undefined],
        [
          'POST',
          '/api/agents',
          { email: uniqueAgentEmail(), name: 'X', password: PASSWORD, role: 'admin' },
        ],
        ['PATCH', `/api/agents/${agent.id}`, { role: 'admin' }],
        ['DELETE', `/api/agents/${made.body.id}`, undefined],
      ] as const) {
        const refused = await api.request(method, path, body, { cookie: agentCookie });
        expect([method, path, refused.status, refused.body.error]).toEqual([
          method,
          path,
          403,
          'forbidden',
        ]);
        const stranger = await api.request(method, path, body);
        expect([method, path, stranger.status, stranger.body.error]).toEqual([
          method,
          path,
          401,
          'unauthorized',
        ]);
      }
      const [still] = await sql('SELECT role FROM agents WHERE id = $1', [agent.id]);
      expect(still.role).toBe('agent');
      expect((await api.request('GET', `/api/agents/${made.body.id}`, undefined, KEY)).status).toBe(
        200,
      );
    });

    it('creates an agent from the command line with the password from AGENT_PASSWORD', async () => {
      const email = uniqueAgentEmail();
      const run = (args: string[], password?: string) =>
        promisify(execFile)(
          process.execPath,
          [join(__dirname, '..', 'dist', 'create-agent.js'), ...args],
          {
            env: {
              PATH: process.env.PATH,
              DATABASE_URL: TEST_DATABASE_URL,
              ...(password === undefined ? {} : { AGENT_PASSWORD: password }),
            },
          },
        );
      const { stdout } = await run(
        ['--email', email, '--name', 'Ops', '--role', 'admin'],
        PASSWORD,
      );
      expect(JSON.parse(stdout)).toMatchObject({ email, name: 'Ops', role: 'admin' });
      expect(stdout).not.toContain(PASSWORD);
      expect((await signIn(email)).status).toBe(200);

      await expect(
        run(['--email', uniqueAgentEmail(), '--name', 'Ops', '--role', 'admin'], 'too short'),
      ).rejects.toMatchObject({
        code: 64,
        stderr: expect.stringContaining('password must be at least 12 characters long'),
      });
      // Not a terminal and no AGENT_PASSWORD: it says so rather than waiting for input.
      await expect(
        run(['--email', uniqueAgentEmail(), '--name', 'Ops', '--role', 'agent']),
      ).rejects.toMatchObject({
        code: 64,
        stderr: expect.stringContaining('AGENT_PASSWORD'),
      });
      await expect(
        run(['--email', email, '--name', 'Again', '--role', 'agent'], PASSWORD),
      ).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining('already exists'),
      });
    });
  });

  describe('signing in and out', () => {
    it('answers the agent and sets an HttpOnly, SameSite=Lax session cookie that lasts SESSION_TTL_HOURS', async () => {
      const response = await signIn(agent.email.toUpperCase());
      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        agent: expect.objectContaining({ id: agent.id, role: 'agent' }),
      });
      expect(response.text).not.toMatch(/password|scrypt/i);
      const attributes = (response.headers.get('set-cookie') ?? '').split('; ');
      expect(attributes[0]).toMatch(/^omni_session=[A-Za-z0-9_-]{43}$/);
      expect(attributes).toEqual(
        expect.arrayContaining(['Path=/', 'HttpOnly', 'SameSite=Lax', 'Max-Age=43200']),
      );
      // NODE_ENV=test: not Secure, so that http://localhost works; production adds it.
      expect(attributes).not.toContain('Secure');

      // Only the token's digest is stored.
      const token = attributes[0].split('=')[1];
      const stored = await sql(
        `SELECT 1 FROM agent_sessions WHERE token_hash = sha256(convert_to($1, 'UTF8'))`,
        [token],
      );
      expect(stored).toHaveLength(1);
      expect(
        await sql(`SELECT 1 FROM agent_sessions WHERE encode(token_hash, 'escape') LIKE $1`, [
          `%${token}%`,
        ]),
      ).toHaveLength(0);
    });

    it('lets the session do what an API key does on the REST API, and tells who is signed in', async () => {
      const cookie = await cookieFor(agent);
      const me = await api.request('GET', '/api/session', undefined, { cookie });
      expect(me.status).toBe(200);
      expect(me.body.agent).toMatchObject({ id: agent.id, email: agent.email });

      const customer = await api.request(
        'POST',
        '/api/customers',
        { name: 'Via session' },
        { cookie },
      );
      expect(customer.status).toBe(201);
      expect(
        (await api.request('GET', `/api/customers/${customer.body.id}`, undefined, { cookie }))
          .status,
      ).toBe(200);
      expect((await api.request('GET', `/api/customers/${customer.body.id}`)).status).toBe(401);
      // An API key has no agent behind it.
      expect((await api.request('GET', '/api/session', undefined, KEY)).status).toBe(401);
      // A wrong API key is refused even beside a good cookie: presented credentials are checked.
      const wrongKey = await api.request('GET', '/api/customers', undefined, {
        cookie,
        authorization: 'Bearer not-the-key',
      });
      expect(wrongKey.status).toBe(401);
    });

    it('answers a wrong password and an unknown email alike: 401, one message, a similar time', async () => {
      const wrong = await signIn(agent.email, 'not the password at all');
      const unknown = await signIn(uniqueAgentEmail(), 'not the password at all');
      const malformed = await signIn('not an email', 'x');
      for (const answer of [wrong, unknown, malformed]) {
        expect(answer.status).toBe(401);
        expect(answer.body).toEqual({
          statusCode: 401,
          error: 'unauthorized',
          message: 'email or password is wrong',
        });
        expect(answer.headers.get('set-cookie')).toBeNull();
      }

      // Medians of a few tries; an unknown email must cost a password check too (a skipped one
      // answers in about a millisecond, a scrypt check takes tens of them).
      const median = async (email: string) => {
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
          const started = performance.now();
          await signIn(email, 'still not the password');
          times.push(performance.now() - started);
        }
        return times.sort((a, b) => a - b)[1];
      };
      const known = await median(admin.email);
      const unknownTime = await median(uniqueAgentEmail());
      expect(unknownTime).toBeGreaterThan(known * 0.3);
      await sql('DELETE FROM sign_in_failures');
    });

    it('answers 429 with Retry-After once one email failed 10 times in 15 min, counted across API processes', async () => {
      const target = await createAgent('agent');
      const second = await startApi(testEnv({ API_KEYS: API_KEY }));
      try {
        for (let i = 0; i < 10; i++) {
          const failed = await signIn(target.email, `wrong password ${i}`, i % 2 ? second : api);
          expect([i, failed.status]).toEqual([i, 401]);
        }
        // Even the right password waits now, on either process.
        for (const process of [api, second]) {
          const limited = await signIn(target.email, PASSWORD, process);
          expect(limited.status).toBe(429);
          expect(limited.body).toMatchObject({ error: 'too_many_requests' });
          const retryAfter = Number(limited.headers.get('retry-after'));
          expect(retryAfter).toBeGreaterThan(0);
          expect(retryAfter).toBeLessThanOrEqual(15 * 60);
          expect(limited.body.retry_after_seconds).toBe(retryAfter);
        }
        // Other emails are not held back.
        expect((await signIn(admin.email)).status).toBe(200);

        // The window is 15 minutes from the first failure: moved back past it, the count starts again.
        await sql(
          `UPDATE sign_in_failures SET window_started_at = now() - interval '15 minutes 1 second'
            WHERE email_digest = sha256(convert_to($1, 'UTF8'))`,
          [target.email],
        );
        expect((await signIn(target.email)).status).toBe(200);
      } finally {
        await second.close();
      }
    });

    it('forgets failures after a successful sign-in', async () => {
      const target = await createAgent('agent');
      // Every attempt counts, the right one too: 9 + 1 + 2 + 1 would be over 10 unforgotten.
      for (let i = 0; i < 9; i++) {
        expect((await signIn(target.email, 'wrong password!')).status).toBe(401);
      }
      expect((await signIn(target.email)).status).toBe(200);
      for (let i = 0; i < 2; i++) {
        expect((await signIn(target.email, 'wrong password!')).status).toBe(401);
      }
      expect((await signIn(target.email)).status).toBe(200);
    });

    it('signs out: the cookie stops working at once, on every API process', async () => {
      const cookie = await cookieFor(agent);
      const second = await startApi(testEnv({ API_KEYS: API_KEY }));
      try {
        expect((await second.request('GET', '/api/session', undefined, { cookie })).status).toBe(
          200,
        );
        const out = await api.request('DELETE', '/api/session', undefined, { cookie });
        expect(out.status).toBe(204);
        expect(out.headers.get('set-cookie')).toMatch(/^omni_session=; .*Max-Age=0/);
        for (const process of [api, second]) {
          const after = await process.request('GET', '/api/session', undefined, { cookie });
          expect(after.status).toBe(401);
          expect(
            (await process.request('GET', '/api/customers', undefined, { cookie })).status,
          ).toBe(401);
        }
        // Signing out again, or with no session, still answers 204.
        expect((await api.request('DELETE', '/api/session', undefined, { cookie })).status).toBe(
          204,
        );
      } finally {
        await second.close();
      }
    });

    it('ends sessions when they expire and when the password changes', async () => {
      const shortLived = await startApi(
        testEnv({ API_KEYS: API_KEY, SESSION_TTL_HOURS: '0.0005' }),
      );
      try {
        const response = await signIn(agent.email, PASSWORD, shortLived);
        expect(response.headers.get('set-cookie')).toContain('Max-Age=1;');
        const cookie = cookieOf(response);
        expect(
          (await shortLived.request('GET', '/api/session', undefined, { cookie })).status,
        ).toBe(200);
        await waitFor(
          async () =>
            (await shortLived.request('GET', '/api/session', undefined, { cookie })).status === 401,
          'the 1.8 s session to expire',
          10_000,
          200,
        );
      } finally {
        await shortLived.close();
      }

      const target = await createAgent('agent');
      const cookie = await cookieFor(target);
      const changed = await api.request(
        'PATCH',
        `/api/agents/${target.id}`,
        { password: `${PASSWORD}!` },
        KEY,
      );
      expect(changed.status).toBe(200);
      expect((await api.request('GET', '/api/session', undefined, { cookie })).status).toBe(401);
      expect((await signIn(target.email)).status).toBe(401);
      expect((await signIn(target.email, `${PASSWORD}!`)).status).toBe(200);
    });
  });

  describe('requests from other sites', () => {
    const host = () => new URL(api.url).host;

    it('refuses a state change carried by a session cookie from another origin (403), and takes it from this one', async () => {
      const cookie = await cookieFor(agent);
      const post = (headers: Record<string, string>) =>
        api.request('POST', '/api/customers', { name: 'Cross-site?' }, { cookie, ...headers });
      const before = await sql(
        `SELECT count(*)::int AS n FROM customers WHERE name = 'Cross-site?'`,
      );

      const otherSites: Record<string, string>[] = [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { 'sec-fetch-site': 'cross-site' },
        { 'sec-fetch-site': 'same-site', origin: 'https://sub.example' },
      ];
      for (const headers of otherSites) {
        const refused = await post(headers);
        expect([headers, refused.status, refused.body.error]).toEqual([headers, 403, 'forbidden']);
      }
      const patch = await api.request(
        'PATCH',
        `/api/agents/${agent.id}`,
        { name: 'x' },
        {
          cookie: await cookieFor(admin),
          origin: 'https://evil.example',
        },
      );
      expect(patch.status).toBe(403);
      const after = await sql(
        `SELECT count(*)::int AS n FROM customers WHERE name = 'Cross-site?'`,
      );
      expect(after).toEqual(before);

      expect((await post({ origin: `http://${host()}` })).status).toBe(201);
      expect(
        (await post({ 'sec-fetch-site': 'same-origin', origin: `http://${host()}` })).status,
      ).toBe(201);
      // Reading is not a state change.
      expect(
        (
          await api.request('GET', '/api/customers', undefined, {
            cookie,
            origin: 'https://evil.example',
          })
        ).status,
      ).toBe(200);
    });

    it('lets API-key requests from any origin through, and refuses sign-in from another site', async () => {
      const viaKey = await api.request(
        'POST',
        '/api/customers',
        { name: 'Key user' },
        {
          ...KEY,
          origin: 'https://elsewhere.example',
          'sec-fetch-site': 'cross-site',
        },
      );
      expect(viaKey.status).toBe(201);
      const signInElsewhere = await api.request(
        'POST',
        '/api/session',
        { email: agent.email, password: PASSWORD },
        { origin: 'https://evil.example' },
      );
      expect(signInElsewhere.status).toBe(403);
      expect(signInElsewhere.headers.get('set-cookie')).toBeNull();
    });
  });

  describe('the socket.io handshake', () => {
    it('accepts a signed-in session from this origin and streams events to it', async () => {
      const cookie = await cookieFor(agent);
      const socket = await connectEvents(api.url, {}, { cookie, origin: `http://${host()}` });
      try {
        const customer = await api.request('POST', '/api/customers', { name: 'Live' }, KEY);
        const [event] = await socket.waitForEvents(1, (e) => e.data.id === customer.body.id);
        expect(event.type).toBe('customer.created');
      } finally {
        socket.close();
      }
      function host() {
        return new URL(api.url).host;
      }
    });

    it("closes a session's open socket when the session signs out", async () => {
      const cookie = await cookieFor(agent);
      const origin = `http://${new URL(api.url).host}`;
      const socket = await connectEvents(api.url, {}, { cookie, origin });
      const keyed = await connectEvents(api.url, { token: API_KEY });
      try {
        const closed = new Promise<string>((resolve) => socket.socket.once('disconnect', resolve));
        await api.request('DELETE', '/api/session', undefined, { cookie, origin });
        // The server ends it (checked every second), and the socket.io client does not retry that.
        await expect(closed).resolves.toBe('io server disconnect');
        expect(keyed.socket.connected).toBe(true);
      } finally {
        socket.close();
        keyed.close();
      }
    });

    it('refuses an ended session, a session from another origin, and no credentials', async () => {
      const cookie = await cookieFor(agent);
      const origin = `http://${new URL(api.url).host}`;
      await expect(
        refusal(api.url, {}, { cookie, origin: 'https://evil.example' }),
      ).resolves.toMatch(/^unauthorized/);
      await expect(refusal(api.url, {})).resolves.toMatch(/^unauthorized/);
      await expect(refusal(api.url, {}, { cookie, origin })).resolves.toBe('connected');
      await api.request('DELETE', '/api/session', undefined, { cookie });
      await expect(refusal(api.url, {}, { cookie, origin })).resolves.toMatch(/^unauthorized/);
      await expect(refusal(api.url, { token: API_KEY })).resolves.toBe('connected');
    });
  });
});

describe('Agents and sessions without API_KEYS (development: the API is open)', () => {
  let api: ApiHarness;
  afterAll(async () => {
    await api?.close();
    await closeDb();
  });

  it('stays open to requests without credentials, and still checks the session that is presented', async () => {
    api = await startApi(testEnv({ API_KEYS: '' }));
    expect((await api.request('GET', '/api/customers')).status).toBe(200);
    const created = await api.request('POST', '/api/agents', {
      email: uniqueAgentEmail(),
      name: 'Dev agent',
      password: PASSWORD,
      role: 'agent',
    });
    expect(created.status).toBe(201);
    const cookie = cookieOf(
      await api.request('POST', '/api/session', { email: created.body.email, password: PASSWORD }),
    );
    expect((await api.request('GET', '/api/session', undefined, { cookie })).body.agent.id).toBe(
      created.body.id,
    );
    // The session's role and the origin rule hold even here.
    expect((await api.request('GET', '/api/agents', undefined, { cookie })).status).toBe(403);
    expect(
      (
        await api.request(
          'POST',
          '/api/customers',
          { name: 'x' },
          { cookie, origin: 'https://evil.example' },
        )
      ).status,
    ).toBe(403);
    // A session that ended is nobody: GET /api/session says so, the open API still answers.
    await api.request('DELETE', '/api/session', undefined, { cookie });
    expect((await api.request('GET', '/api/session', undefined, { cookie })).status).toBe(401);
    expect((await api.request('GET', '/api/customers', undefined, { cookie })).status).toBe(200);
  });
});
