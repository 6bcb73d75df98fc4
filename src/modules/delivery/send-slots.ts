/**
 * At most `size` provider calls in flight at once (OUTBOUND_CONCURRENCY, per channel and worker
 * process); calls beyond it wait for a free slot in the order they came.
 */
export class SendSlots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await call();
    } finally {
      // The slot passes straight to the next waiter, so no newcomer can take it in between.
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
