import type { PreparedSql, Statement } from '../../platform/database/prepared-sql';
import { DeliveryLedger } from './delivery-ledger';
import type { ReceiptService } from './receipt.service';

/** Answers a claim for the ids in `pending` only, as the status-guarded statement does. */
function ledgerOver(pending: string[]) {
  const statements: { name: string; ids: string[] }[] = [];
  const sql = {
    rows: async (statement: Statement, values: unknown[]) => {
      const ids = values[0] as string[];
      statements.push({ name: statement.name, ids });
      return ids
        .filter((id) => pending.includes(id))
        .map((id) => ({ id, channel: 'whatsapp', attempt_count: 1, has_attachments: false }));
    },
  } as unknown as PreparedSql;
  const receipts = { applyHeldReceiptsOf: async () => undefined } as unknown as ReceiptService;
  return { ledger: new DeliveryLedger(sql, receipts), statements };
}

describe('DeliveryLedger claims', () => {
  it('claims the jobs of one moment in one statement, each answered with its own message', async () => {
    const { ledger, statements } = ledgerOver(['a', 'c']);
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((id) => ledger.claimForSending(id)));
    expect(statements).toEqual([{ name: 'ledger-claim', ids: ['a', 'b', 'c'] }]);
    expect([a?.id, b, c?.id]).toEqual(['a', null, 'c']);
  });

  it('claims a message asked for twice in one batch once: the second asker gets nothing to send', async () => {
    const { ledger, statements } = ledgerOver(['a']);
    const claims = await Promise.all(['a', 'a'].map((id) => ledger.claimForSending(id)));
    expect(statements).toEqual([{ name: 'ledger-claim', ids: ['a'] }]);
    expect(claims.map((claim) => claim?.id ?? null)).toEqual(['a', null]);
  });
});
