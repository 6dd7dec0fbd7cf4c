/** One Docker Engine API operation, as dockerd routes it. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/** How the request body of an operation is treated by the proxy. */
export type BodyKind =
  /** no body expected; a non-empty body is still framed and forwarded as sent */
  | 'none'
  /** a JSON document (inspected by later issues) */
  | 'json'
  /** an opaque byte stream (tar archives, image tarballs, build contexts) streamed through */
  | 'stream';

export type UpgradeProtocol = 'tcp' | 'websocket' | 'h2c';

export interface Operation {
  /** operationId from the Engine API spec, or a Portcullis name for routes dockerd serves outside the spec */
  readonly id: string;
  readonly method: HttpMethod;
  /** path template in the spec's spelling, e.g. `/containers/{id}/json` */
  readonly path: string;
  /** the documented group, `family:access`, e.g. `containers:read` */
  readonly group: string;
  readonly body: BodyKind;
  /**
   * The protocol dockerd switches to when the client asks with `Upgrade` (answering 101), or
   * null when the operation never hijacks. `tcp` operations (attach, exec start) are hijacked
   * even without an Upgrade header: dockerd then answers 200 and streams raw.
   */
  readonly upgrade: UpgradeProtocol | null;
}
