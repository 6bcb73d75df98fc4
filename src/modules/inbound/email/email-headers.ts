/** Header name (lower case) → its values, from a raw RFC 5322 header block with folded lines. */
export function parseHeaderBlock(raw: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const unfolded = raw.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return headers;
}

export interface EmailAddress {
  name: string | null;
  address: string;
}

/** `"Bob Smith" <bob@example.com>`, `Bob <bob@example.com>` or a bare address. */
export function parseAddress(value: string): EmailAddress | null {
  const angle = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(value);
  if (angle) {
    const name = angle[1].replace(/^"(.*)"$/, '$1').trim();
    return { name: name || null, address: angle[2] };
  }
  const bare = value.trim();
  return /^[^@\s<>",]+@[^@\s<>",]+$/.test(bare) ? { name: null, address: bare } : null;
}

/** Message ids in the `<id@host>` form we store, from Message-ID, In-Reply-To or References. */
export function messageIds(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const text = Array.isArray(value) ? value.join(' ') : value;
  const bracketed = text.match(/<[^<>\s]+>/g);
  if (bracketed) return bracketed;
  return text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((id) => `<${id}>`);
}
