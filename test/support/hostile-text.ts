/**
 * Text shaped to make a careless parser slow: each is what some regular expression or
 * line-by-line scan has been quadratic on. Shared by the parsers' unit tests and the e2e test
 * that posts them at the body limits.
 */
export const HOSTILE_PATTERNS: Record<string, string> = {
  'quoted lines': '>a\nb\n',
  '"<" alone': '<',
  'unclosed tags': '<a',
  'nested tags': '<div>',
  'unclosed script': '<script',
  'line breaks never closed': '<br',
  spaces: ' ',
  'attribution lines': 'On x wrote ',
  'dashes and underscores': '-_',
};

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** `unit` repeated to exactly `length` characters. */
export function repeatTo(unit: string, length: number): string {
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/**
 * Milliseconds `run` took: wall time, but never more than the CPU time the process used, so that
 * a machine busy with other processes (tests share two cores) does not make it look slow.
 */
export function timed(run: () => unknown): number {
  const start = performance.now();
  const cpu = process.cpuUsage();
  run();
  const used = process.cpuUsage(cpu);
  return Math.min(performance.now() - start, (used.user + used.system) / 1000);
}

/**
 * Runs `parse` on `text` at 64 KiB, then (only if that was fast) at 1 MiB, and expects both to
 * be quick (call it from a test named for the pattern). 64 KiB already takes seconds for a quadratic parser, so one fails here fast instead
 * of hanging on the megabyte; 16 times the input within the bound shows the work grows linearly.
 */
export function expectLinear(parse: (text: string) => unknown, unit: string): void {
  expect(timed(() => parse(repeatTo(unit, 64 * KiB)))).toBeLessThan(100);
  expect(timed(() => parse(repeatTo(unit, MiB)))).toBeLessThan(600);
}
