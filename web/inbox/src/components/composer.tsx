import { useRef, useState } from 'preact/hooks';
import { api } from '../api';
import type { InboxStore } from '../inbox-store';
import type { Attachment, Channel } from '../types';

// getRandomValues, unlike randomUUID, also works on a page served over plain HTTP.
const newIdempotencyKey = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');

interface PendingFile {
  name: string;
  upload: Promise<Attachment>;
  stored?: Attachment;
  error?: string;
}

export function Composer({ store, channel }: { store: InboxStore; channel: Channel }) {
  const [text, setText] = useState('');
  const [files, setFiles] = useState<PendingFile[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  // One key per message being written: a second Enter while the first is in flight sends nothing new.
  const idempotencyKey = useRef(newIdempotencyKey());
  const box = useRef<HTMLTextAreaElement>(null);

  const attach = (input: HTMLInputElement) => {
    for (const file of input.files ?? []) {
      const pending: PendingFile = { name: file.name, upload: api.uploadAttachment(file) };
      pending.upload.then(
        (stored) => setFiles((all) => all.map((f) => (f === pending ? { ...f, stored } : f))),
        (failure: Error) =>
          setFiles((all) => all.map((f) => (f === pending ? { ...f, error: failure.message } : f))),
      );
      setFiles((all) => [...all, pending]);
    }
    input.value = '';
  };

  const send = async () => {
    const body = text.trim();
    if (sending || (!body && files.length === 0)) return;
    setSending(true);
    setError(null);
    try {
      const attachments = await Promise.all(files.map((f) => f.upload));
      await store.send(
        {
          body: body || undefined,
          attachments: attachments.length ? attachments.map((a) => a.id) : undefined,
        },
        idempotencyKey.current,
      );
      idempotencyKey.current = newIdempotencyKey();
      setText('');
      setFiles([]);
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setSending(false);
      box.current?.focus();
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      <label for="composer-message" class="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-message"
        ref={box}
        rows={3}
        placeholder={`Reply by ${channel}. Enter sends, Shift+Enter starts a new line.`}
        value={text}
        onInput={(event) => setText(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            void send();
          }
        }}
      />
      {files.length > 0 && (
        <ul class="attached" aria-label="Attached files">
          {files.map((file) => (
            <li>
              {file.name}
              {file.error ? ` (${file.error})` : file.stored ? '' : ' (uploading…)'}{' '}
              <button
                type="button"
                aria-label={`Remove ${file.name}`}
                onClick={() => setFiles((all) => all.filter((f) => f !== file))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div class="composer-actions">
        <input
          id="composer-file"
          type="file"
          class="file-input"
          onChange={(event) => attach(event.currentTarget)}
        />
        <label for="composer-file" class="button">
          Attach file
        </label>
        <button type="submit" class="primary" disabled={sending}>
          Send
        </button>
      </div>
      <p class="error" role="alert">
        {error}
      </p>
    </form>
  );
}
