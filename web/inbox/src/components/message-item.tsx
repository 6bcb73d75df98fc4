import type { Message } from '../types';
import { StatusIcon } from './status-icon';
import { shortTime } from './time';

/**
 * One message of the thread. The spaces between its blocks keep the item's text readable as words
 * ("… address? 17:28 failed whatsapp error …") wherever text is read without layout.
 */
export function MessageItem({ message, onRetry }: { message: Message; onRetry: () => void }) {
  const outbound = message.direction === 'outbound';
  return (
    <li class={`message ${message.direction} ${message.status}`}>
      <span class="visually-hidden">{outbound ? 'You wrote: ' : 'Customer wrote: '}</span>
      {message.subject && <p class="subject">{message.subject}</p>}{' '}
      {message.body && <p class="body">{message.body}</p>}{' '}
      {message.attachments.length > 0 && (
        <ul class="files">
          {message.attachments.map((file) => (
            <li>
              {file.status === 'stored' ? (
                <a href={`/api/attachments/${file.id}`}>{file.filename ?? file.content_type}</a>
              ) : (
                `${file.filename ?? file.content_type} (${file.status === 'pending' ? 'arriving' : 'unavailable'})`
              )}
            </li>
          ))}
        </ul>
      )}{' '}
      <p class="meta">
        <time dateTime={message.created_at}>{shortTime(message.created_at)}</time>
        {outbound && (
          <span class="status">
            {' '}
            <StatusIcon status={message.status} /> {message.status}
          </span>
        )}
      </p>{' '}
      {message.status === 'failed' && (
        <div class="failure">
          <p class="error">{message.last_error ?? 'The message could not be sent.'}</p>{' '}
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        </div>
      )}
    </li>
  );
}
