import { STATUS_CODES } from 'node:http';

/**
 * A Docker-style error response: the docker CLI prints `message` verbatim after
 * "Error response from daemon: ".
 */
export function errorResponse(status: number, message: string, close: boolean): string {
  const body = JSON.stringify({ message });
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    (close ? 'Connection: close\r\n' : '') +
    'Server: portcullis\r\n' +
    `\r\n${body}`
  );
}
