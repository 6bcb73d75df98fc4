import { isDatabaseFault } from './database-unavailable';

interface Waiting<In, Out> {
  input: In;
  resolve: (output: Out) => void;
  reject: (error: unknown) => void;
}

export interface BatchOptions {
  maxBatch: number;
  /** Batches running at once; what arrives meanwhile waits for the next one. */
  maxInFlight: number;
  /** How long the first call of a batch waits for others to join it (0: until the next turn). */
  lingerMs: number;
}

/**
 * Coalesces calls into batches: calls that arrive within `lingerMs` of the first, and calls that
 * arrive while a batch is in flight, go out together as the next batch. Under load batches grow
 * by themselves, so the statements and commits per call fall as the load rises, which is when
 * they cost the most; a lone call waits at most `lingerMs`.
 *
 * `run` answers one output per input, in order. A batch is one statement and one transaction,
 * so one input's bad data fails it for all: then each input runs again alone, and only the
 * culprit's call rejects. When the database itself failed (down, deadlocked, out of disk; see
 * databaseFault) every call of the batch rejects with that error, which charges none of them:
 * callers treat it as our infrastructure, and running each alone would only repeat it.
 */
export class Batcher<In, Out> {
  private waiting: Waiting<In, Out>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly options: BatchOptions,
  ) {}

  submit(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.waiting.push({ input, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      const flush = () => {
        this.scheduled = false;
        this.pump();
      };
      if (this.options.lingerMs > 0) setTimeout(flush, this.options.lingerMs);
      else setImmediate(flush);
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.runBatch(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async runBatch(batch: Waiting<In, Out>[]): Promise<void> {
    try {
      const outputs = await this.run(batch.map((call) => call.input));
      batch.forEach((call, i) => call.resolve(outputs[i]));
    } catch (error) {
      if (batch.length === 1 || isDatabaseFault(error)) {
        for (const call of batch) call.reject(error);
        return;
      }
      // One at a time, as the batch would have held this many connections' worth at once.
      for (const call of batch) await this.runBatch([call]);
    }
  }
}
