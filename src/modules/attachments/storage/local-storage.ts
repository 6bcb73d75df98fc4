import { createReadStream } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { AttachmentStorage, SpooledFile, storageKey } from './attachment-storage';

/** Files on a local (or mounted) disk under STORAGE_PATH. */
export class LocalStorage implements AttachmentStorage {
  readonly driver = 'local';
  readonly spoolDirectory: string;
  private readonly root: string;

  constructor(storagePath: string) {
    this.root = resolve(storagePath);
    // Same file system as the kept files, so keeping is an atomic rename.
    this.spoolDirectory = join(this.root, 'spool');
  }

  async keep(file: SpooledFile): Promise<void> {
    const target = this.pathOf(file.sha256);
    if (await this.has(file.sha256)) {
      await rm(file.path, { force: true });
      return;
    }
    await mkdir(dirname(target), { recursive: true });
    // Two writers of the same bytes both rename complete files: either result is right.
    await rename(file.path, target);
  }

  async open(sha256: string): Promise<Readable> {
    const path = this.pathOf(sha256);
    await access(path);
    return createReadStream(path);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await access(this.pathOf(sha256));
      return true;
    } catch {
      return false;
    }
  }

  async remove(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  private pathOf(sha256: string): string {
    return join(this.root, 'files', storageKey(sha256));
  }
}
