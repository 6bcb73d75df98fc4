const POLL_INTERVAL_MS = 10;

/**
 * Bounded polling behind every stand-in's `waitFor…`. The timers are unref'd so a test that gave
 * up (or closed the stand-in) never keeps the process alive until the deadline.
 */
export function waitUntil(
  done: () => boolean,
  timeoutMs: number,
  describeTimeout: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = (): void => {
      if (done()) return resolve();
      if (Date.now() >= deadline) return reject(new Error(describeTimeout()));
      setTimeout(poll, POLL_INTERVAL_MS).unref();
    };
    poll();
  });
}

export async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
