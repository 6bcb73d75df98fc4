// 16×16 strokes, one per delivery status; the status word beside the icon says the same in text.
const PATHS: Record<string, string> = {
  queued: 'M8 2a6 6 0 1 0 0 12A6 6 0 0 0 8 2zm0 3v3l2 2',
  sending: 'M3 8h9m-3-3 3 3-3 3',
  retrying: 'M13 8a5 5 0 1 1-2-4m2-2v3h-3',
  sent: 'm3 8 3 3 7-7',
  delivered: 'm1 8 3 3 7-7m-3 7 1 0 7-7',
  read: 'm1 8 3 3 7-7m-3 7 1 0 7-7',
  failed: 'M8 2v7m0 3v2',
  expired: 'M4 2h8M4 14h8M5 2c0 4 6 4 6 6s-6 2-6 6m6-12c0 4-6 4-6 6s6 2 6 6',
};

export function StatusIcon({ status }: { status: string }) {
  const path = PATHS[status];
  if (!path) return null;
  return (
    <svg class={`icon ${status}`} viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path d={path} fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}
