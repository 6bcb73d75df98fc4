import { Client } from 'pg';
import {
  multipartForm,
  pdfBytes,
  sha256,
  STORAGE_DRIVERS,
  StorageUnderTest,
} from './support/attachment-files';
import { sql } from './support/db';
import { createConversation } from './support/factories';
import { startOutboundStack, type OutboundStack } from './support/outbound-stack';
import { TEST_DATABASE_URL } from './support/test-env';
import { waitFor } from './support/wait-for';

/** A session-level advisory lock the test holds while the app waits for it in a trigger. */
const HOLD_KEY = 734_512_908;

describe.each(STORAGE_DRIVERS)('attachment bytes, %s storage', (_name, startStorage) => {
  let storage: StorageUnderTest;
  let stack: OutboundStack;

  beforeAll(async () => {
    storage = await startStorage();
    // The worker's retention pass every 300 ms collects unnamed bytes.
    stack = await startOutboundStack({ ...storage.env, RETENTION_PRUNE_INTERVAL_MS: '300' });
  });
  afterAll(async () => {
    await stack?.stop();
    await storage?.close();
  });

  async function upload(bytes: Buffer) {
    const form = multipartForm([
      { field: 'file', filename: 'scan.pdf', contentType: 'application/pdf', bytes },
    ]);
    return stack.api.request('POST', '/api/attachments', form.body, {
      'content-type': form.contentType,
    });
  }

  /** A download's status and the sha256 of what came back. */
  async function download(id: string): Promise<{ status: number; sha256: string }> {
    const response = await fetch(`${stack.api.url}/api/attachments/${id}`);
    return { status: response.status, sha256: sha256(Buffer.from(await response.arrayBuffer())) };
  }

  /** A customer with one sent web message carrying `bytes`; returns their id and the file's. */
  async function customerWithFile(bytes: Buffer) {
    const uploaded = await upload(bytes);
    expect(uploaded.status).toBe(201);
    const conversation = await createConversation(stack.api, 'web');
    const message = await stack.send(conversation.id, 'web', {
      body: 'your scan',
      attachments: [uploaded.body.id],
    });
    await stack.waitForStatus(message.id, ['sent']);
    return { customerId: conversation.customer_id as string, attachmentId: uploaded.body.id };
  }

  /** Runs `body` with `trigger` (on attachments) waiting for HOLD_KEY, held by `holder`. */
  async function withHeldTrigger(
    trigger: string,
    body: (holder: Client) => Promise<void>,
  ): Promise<void> {
    const holder = new Client({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [HOLD_KEY]);
    await sql(`CREATE OR REPLACE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN PERFORM pg_advisory_xact_lock(${HOLD_KEY}); RETURN NEW; END $$`);
    await sql(trigger);
    try {
      await body(holder);
    } finally {
      await sql('DROP TRIGGER IF EXISTS test_hold ON attachments');
      await sql('DROP FUNCTION IF EXISTS test_hold()');
      await holder.end();
    }
  }

  it('a failed erasure leaves every file in place and every record stored', async () => {
    const bytes = pdfBytes(20_000);
    const { customerId, attachmentId } = await customerWithFile(bytes);
    // The erasure fails at its last step, after the attachment rows were removed.
    await sql(`CREATE OR REPLACE FUNCTION test_fail_erasure() RETURNS trigger LANGUAGE plpgsql
                 AS $$ BEGIN RAISE EXCEPTION 'erasure forced to fail'; END $$`);
    await sql(`CREATE TRIGGER test_fail_erasure BEFORE DELETE ON customers FOR EACH ROW
                 WHEN (OLD.id = '${customerId}') EXECUTE FUNCTION test_fail_erasure()`);
    try {
      const failed = await stack.api.request('DELETE', `/api/customers/${customerId}`);
      expect(failed.status).toBe(500);
    } finally {
      await sql('DROP TRIGGER IF EXISTS test_fail_erasure ON customers');
      await sql('DROP FUNCTION IF EXISTS test_fail_erasure()');
    }

    const meta = await stack.api.request('GET', `/api/attachments/${attachmentId}/meta`);
    expect(meta.body.status).toBe('stored');
    expect(await download(attachmentId)).toEqual({ status: 200, sha256: sha256(bytes) });

    // Tried again, it succeeds, and only then the bytes go.
    const files = await storage.countFiles();
    expect((await stack.api.request('DELETE', `/api/customers/${customerId}`)).status).toBe(200);
    expect((await download(attachmentId)).status).toBe(404);
    expect(await storage.countFiles()).toBe(files - 1);
  });

  it('an upload of the same bytes during an erasure keeps its file', async () => {
    const bytes = pdfBytes(30_000);
    const { customerId } = await customerWithFile(bytes);
    let uploaded: Awaited<ReturnType<typeof upload>> | undefined;
    // The upload is held just before its record is written: it has found the bytes kept.
    await withHeldTrigger(
      `CREATE TRIGGER test_hold BEFORE INSERT ON attachments FOR EACH ROW
        WHEN (NEW.sha256 = '${sha256(bytes)}') EXECUTE FUNCTION test_hold()`,
      async (holder) => {
        const uploading = upload(bytes);
        await waitFor(
          async () =>
            (await sql(`SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`))
              .length > 0,
          'the upload to wait before its record',
        );
        // The erasure commits meanwhile; its removal of the bytes must wait for the upload.
        const erasing = stack.api.request('DELETE', `/api/customers/${customerId}`);
        await waitFor(
          async () =>
            (await sql('SELECT 1 FROM customers WHERE id = $1', [customerId])).length === 0,
          'the erasure to commit',
        );
        await holder.query('SELECT pg_advisory_unlock($1)', [HOLD_KEY]);
        uploaded = await uploading;
        expect((await erasing).status).toBe(200);
      },
    );
    expect(uploaded!.status).toBe(201);
    expect(await download(uploaded!.body.id)).toEqual({ status: 200, sha256: sha256(bytes) });
  });

  it('collects bytes no record names: uploads never sent, after their grace period', async () => {
    const stale = pdfBytes(10_000);
    const fresh = pdfBytes(10_000);
    const [old, recent] = [await upload(stale), await upload(fresh)];
    const files = await storage.countFiles();
    // As if uploaded two days ago and never attached to a message.
    await sql(`UPDATE attachments SET created_at = now() - interval '2 days' WHERE id = $1`, [
      old.body.id,
    ]);
    await sql(
      `UPDATE attachment_blobs SET touched_at = now() - interval '2 days' WHERE sha256 = $1`,
      [sha256(stale)],
    );

    await waitFor(
      async () => (await download(old.body.id)).status === 404,
      'the stale upload to be collected',
    );
    expect(await storage.countFiles()).toBe(files - 1);
    expect(await sql('SELECT 1 FROM attachment_blobs WHERE sha256 = $1', [sha256(stale)])).toEqual(
      [],
    );
    expect(await download(recent.body.id)).toEqual({ status: 200, sha256: sha256(fresh) });
  });
});
