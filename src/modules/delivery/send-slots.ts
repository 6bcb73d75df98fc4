/** A job's place in its channel's line of provider calls (SendSlots). */
export interface SendTurn {
  /** Runs the provider call once every earlier turn has called or left and a slot is free. */
  send<T>(call: () => Promise<T>): Promise<T>;
  /** Gives the place up without calling (the job waits for its sender, skipped, …); no-op after send. */
  leave(): void;
}

interface Place {
  /** Set once the job wants its call: admits it. */
  admit?: () => void;
  left: boolean;
}

/**
 * The provider calls of one channel's worker: at most `size` in flight (OUTBOUND_CONCURRENCY),
 * started in the order the queue handed out their jobs (priority order). The worker holds more
 * jobs than slots, so that their claims and outcomes are written while other jobs' calls are
 * out; a job takes its turn when it starts, and a job whose claim finished early still waits for
 * the jobs before it, as one that is refused or skipped leaves the line at once.
 */
export class SendSlots {
  private free: number;
  private readonly line: Place[] = [];

  constructor(size: number) {
    this.free = size;
  }

  turn(): SendTurn {
    const place: Place = { left: false };
    this.line.push(place);
    return {
      send: async <T>(call: () => Promise<T>): Promise<T> => {
        await new Promise<void>((admit) => {
          place.admit = admit;
          this.admitInOrder();
        });
        try {
          return await call();
        } finally {
          this.free++;
          this.admitInOrder();
        }
      },
      leave: () => {
        if (place.admit) return;
        place.left = true;
        this.admitInOrder();
      },
    };
  }

  private admitInOrder(): void {
    while (this.line.length > 0) {
      const first = this.line[0];
      if (first.left) {
        this.line.shift();
        continue;
      }
      if (!first.admit || this.free === 0) return;
      this.line.shift();
      this.free--;
      first.admit();
    }
  }
}
