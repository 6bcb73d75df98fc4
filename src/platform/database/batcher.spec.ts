import { Batcher } from './batcher';

function recordingBatcher(lingerMs: number, maxBatch = 64) {
  const batches: number[][] = [];
  let release: (() => void) | undefined;
  const batcher = new Batcher<number, string>(
    async (inputs) => {
      batches.push(inputs);
      // The first batch stays in flight until the test lets it go.
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return inputs.map((input) => `out ${input}`);
    },
    { maxBatch, maxInFlight: 1, lingerMs },
  );
  return { batcher, batches, release: () => release?.() };
}

describe('Batcher', () => {
  it('sends calls of the same turn as one batch and answers each caller with its own output', async () => {
    const { batcher, batches, release } = recordingBatcher(0);
    const outputs = Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await outputs).toEqual(['out 1', 'out 2', 'out 3']);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('gathers what arrives while a batch is in flight into the next one, up to maxBatch', async () => {
    const { batcher, batches, release } = recordingBatcher(0, 2);
    const first = batcher.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((n) => batcher.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...later])).toEqual(['out 1', 'out 2', 'out 3', 'out 4']);
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });

  it('waits lingerMs for the first call of a batch to get company', async () => {
    const { batcher, batches, release } = recordingBatcher(20);
    const outputs = [batcher.submit(1)];
    await new Promise((resolve) => setTimeout(resolve, 5));
    outputs.push(batcher.submit(2));
    expect(batches).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 30));
    release();
    await Promise.all(outputs);
    expect(batches).toEqual([[1, 2]]);
  });

  it('rejects every call of a batch the database failed, and goes on with the next', async () => {
    const runs: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (inputs) => {
        runs.push(inputs);
        if (runs.length === 1)
          throw Object.assign(new Error('could not extend file'), { code: '53100' });
        return inputs;
      },
      { maxBatch: 64, maxInFlight: 1, lingerMs: 0 },
    );
    const failed = [1, 2].map((n) => batcher.submit(n).catch((error: Error) => error.message));
    expect(await Promise.all(failed)).toEqual(['could not extend file', 'could not extend file']);
    expect(await batcher.submit(3)).toBe(3);
    expect(runs).toEqual([[1, 2], [3]]);
  });

  it("runs each input of a batch alone when one input's data failed it: only that call rejects", async () => {
    const runs: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (inputs) => {
        runs.push(inputs);
        if (inputs.includes(2)) throw Object.assign(new Error('invalid byte'), { code: '22021' });
        return inputs;
      },
      { maxBatch: 64, maxInFlight: 1, lingerMs: 0 },
    );
    const outcomes = [1, 2, 3].map((n) => batcher.submit(n).catch((error: Error) => error.message));
    expect(await Promise.all(outcomes)).toEqual([1, 'invalid byte', 3]);
    expect(runs).toEqual([[1, 2, 3], [1], [2], [3]]);
  });
});
