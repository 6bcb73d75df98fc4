/** One spelling per address, so that the same mailbox always finds the same customer. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
