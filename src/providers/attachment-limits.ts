/** What a provider's limits need to know of a file before it is queued. */
export interface FileFacts {
  contentType: string;
  size: number;
}

/** Throws a DomainError naming the first file (or the set) the provider would refuse. */
export type AttachmentLimits = (files: FileFacts[]) => void;

export const MB = 1024 * 1024;

/** `image/jpeg; name=x` → `image/jpeg`. */
export function baseContentType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}
