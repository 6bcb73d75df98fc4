/** Header name (lower case) → its values, from a raw RFC 5322 header block with folded lines. */
export function parseHeaderBlock(raw: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const unfolded = raw.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers.get(name) ?? [];
    // Pushed, not copied: a block of one header repeated must not cost the square of its length.
    values.push(line.slice(colon + 1).trim());
    headers.set(name, values);
  }
  return headers;
}

export interface EmailAddress {
  name: string | null;
  address: string;
}

/**
 * `"Bob Smith" <bob@example.com>`, `Bob <bob@example.com>` or a bare address. Cut with string
 * searches, not one regular expression: `\s*(.*?)\s*<` backtracks without end on a long run of
 * spaces, and the From field is whatever the sender wrote.
 */
export function parseAddress(value: string): EmailAddress | null {
  const trimmed = value.trim();
  if (trimmed.endsWith('>')) {
    const open = trimmed.lastIndexOf('<');
    const address = trimmed.slice(open + 1, -1);
    if (open < 0 || !/^[^<>\s]+@[^<>\s]+$/.test(address)) return null;
    const written = trimmed.slice(0, open).trim();
    const name = (/^".*"$/.test(written) ? written.slice(1, -1) : written).trim();
    return { name: name || null, address };
  }
  return /^[^@\s<>",]+@[^@\s<>",]+$/.test(trimmed) ? { name: null, address: trimmed } : null;
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
