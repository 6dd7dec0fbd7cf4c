import { STATUS_CODES } from 'node:http';

/**
 * A Docker-style error response: the docker CLI prints `message` verbatim after
 * "Error response from daemon: ".
 */
export function errorResponse(status: number, message: string, close: boolean, headRequest = false): string {
  const body = JSON.stringify({ message });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    (close ? 'Connection: close\r\n' : '') +
    'Server: portcullis\r\n' +
    // A HEAD answer announces the body's length but never sends it, or the next
    // pipelined response would be read from the middle of this one.
    `\r\n${headRequest ? '' : body}`
  );
}
