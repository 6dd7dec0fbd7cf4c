import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import tls from 'node:tls';
import { STREAM_BUFFER } from '../upstream/dial.js';

/** A TLS listener's files, as paths; they are read at start-up and again on every reload. */
export interface TlsSpec {
  /** PEM server certificate, optionally followed by its intermediates */
  readonly cert: string;
  /** PEM private key of `cert` */
  readonly key: string;
  /** PEM bundle of the CAs whose client certificates are accepted; given = mutual TLS, required */
  readonly clientCA?: string;
}

function readPem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the TLS ${what} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Server options for `spec`. TLS 1.2 is the floor (the docker CLI speaks 1.2 and 1.3); Node's
 * default cipher list is already restricted to AEAD suites with forward secrecy first, and the
 * server's order is preferred. With `clientCA`, a client certificate is requested and verified
 * against that bundle only (not the system roots): a client without one, with one from another
 * CA, expired or not meant for client authentication, fails in the handshake, before any byte of
 * HTTP is read.
 */
export function createTlsOptions(spec: TlsSpec): tls.TlsOptions {
  const options: tls.TlsOptions = {
    cert: readPem('certificate', spec.cert),
    key: readPem('key', spec.key),
    minVersion: 'TLSv1.2',
    honorCipherOrder: true,
  };
  if (spec.clientCA !== undefined) {
    options.ca = readPem('client CA bundle', spec.clientCA);
    options.requestCert = true;
    options.rejectUnauthorized = true;
  } else {
    options.requestCert = false;
    options.rejectUnauthorized = false;
  }
  return options;
}

/**
 * A `tls.Server` whose certificate, key and client CA can be swapped while it runs. `reload()`
 * affects new handshakes only: established connections (a `docker events` stream, an attached
 * container) keep the session they negotiated.
 */
export class TlsListener {
  readonly server: tls.Server;

  constructor(
    readonly spec: TlsSpec,
    onSecureConnection: (socket: tls.TLSSocket) => void,
  ) {
    // Half-open connections are kept for the same reason as on plain listeners (`docker run -i`).
    const serverOptions: tls.TlsOptions & net.ServerOpts = {
      ...createTlsOptions(spec),
      allowHalfOpen: true,
      noDelay: true,
      highWaterMark: STREAM_BUFFER,
    };
    this.server = tls.createServer(serverOptions, onSecureConnection);
  }

  /**
   * Re-reads the files and installs them for new handshakes. Throws (and keeps serving with the
   * previous files) when a file is unreadable or the key does not match the certificate.
   */
  reload(): void {
    const options = createTlsOptions(this.spec);
    // Builds the context once first so that a broken pair throws before anything is replaced.
    tls.createSecureContext(options);
    this.server.setSecureContext(options);
    // New ticket keys: a session resumed from an old ticket would skip verification against a
    // possibly changed client CA.
    this.server.setTicketKeys(randomBytes(48));
  }
}
