import type net from 'node:net';
import tls, { TLSSocket } from 'node:tls';
import { formatAddress, type Address } from '../config/address.js';
import type { ListenerConfig } from '../config/schema.js';
import { createTlsOptions } from '../listener/tls.js';
import { listen, type Listening } from '../listener/listen.js';
import type { Logger } from '../log/logger.js';

/** What a listener needs to hand over a connection it accepted. */
export type Accept = (listener: string, socket: net.Socket) => void;

interface Bound {
  readonly config: ListenerConfig;
  readonly listening: Listening;
  /** sockets accepted before the reload that bound this listener took effect; null once it has */
  held: net.Socket[] | null;
}

/** A listener of the new config that cannot be put in place. */
export class ListenerError extends Error {
  constructor(
    readonly listener: string,
    message: string,
  ) {
    super(`listener "${listener}": ${message}`);
  }
}

/** A staged change of listeners: `commit` once the new generation is in force, else `rollback`. */
export interface ListenerChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly string[];
  commit(): void;
  rollback(): Promise<void>;
}

/** What decides how a listener is bound; its policy is not part of it (it is read per request). */
function bindingOf(l: ListenerConfig): string {
  return JSON.stringify([formatAddress(l.address), l.tls?.cert, l.tls?.key, l.tls?.clientCA, l.mode, l.group]);
}

function sameAddress(a: Address, b: Address): boolean {
  return formatAddress(a) === formatAddress(b);
}

/**
 * The bound listeners, kept in step with the config. A reload binds what is new before anything
 * else changes, so a listener that cannot be bound fails the reload with the old set intact;
 * listeners whose binding did not change are not touched, and neither are their connections.
 * Closing a listener stops it accepting; connections it accepted carry on.
 */
export class ListenerSet {
  private readonly bound = new Map<string, Bound>();

  constructor(
    private readonly accept: Accept,
    private readonly logger: Logger,
  ) {}

  addresses(): Array<{ name: string; address: Address }> {
    return [...this.bound.values()].map((b) => ({ name: b.config.name, address: b.listening.address }));
  }

  /**
   * Binds the listeners of `next` that are new or changed. Throws, with nothing changed, when one
   * cannot be bound or a TLS file cannot be used (those of unchanged TLS listeners are re-read too,
   * which is how a renewed certificate is picked up).
   */
  async stage(next: readonly ListenerConfig[]): Promise<ListenerChange> {
    for (const l of next) {
      if (l.tls === undefined) continue;
      try {
        tls.createSecureContext(createTlsOptions(l.tls));
      } catch (error) {
        throw new ListenerError(l.name, (error as Error).message);
      }
    }
    const keep: string[] = [];
    const added: ListenerConfig[] = [];
    const changed: string[] = [];
    for (const l of next) {
      const old = this.bound.get(l.name);
      if (old !== undefined && bindingOf(old.config) === bindingOf(l)) keep.push(l.name);
      else {
        added.push(l);
        if (old !== undefined) changed.push(l.name);
      }
    }
    const names = new Set(next.map((l) => l.name));
    const removed = [...this.bound.keys()].filter((n) => !names.has(n));
    const leaving = [...removed, ...changed].map((n) => this.bound.get(n)!);

    const fresh = new Map<string, Bound>();
    /** listeners closed early to free their address for a successor, to reopen on rollback */
    const vacated: Bound[] = [];
    const rollback = async (): Promise<void> => {
      for (const b of fresh.values()) {
        b.listening.server.close();
        for (const s of b.held ?? []) s.destroy();
      }
      for (const b of vacated) {
        try {
          const again = await this.bindOne(b.config, null);
          this.bound.set(b.config.name, again);
        } catch (error) {
          this.logger.error({ listener: b.config.name, error: (error as Error).message }, 'listener lost: its address could not be bound again');
          this.bound.delete(b.config.name);
        }
      }
    };
    try {
      for (const l of added) {
        // A successor on the same address (new TLS files, say) can only bind once its predecessor lets go.
        const ephemeral = l.address.kind === 'tcp' && l.address.port === 0;
        const predecessor = ephemeral ? undefined : leaving.find((b) => sameAddress(b.config.address, l.address));
        if (predecessor !== undefined && !vacated.includes(predecessor)) {
          predecessor.listening.server.close();
          vacated.push(predecessor);
          this.bound.delete(predecessor.config.name);
        }
        try {
          fresh.set(l.name, await this.bindOne(l, []));
        } catch (error) {
          throw new ListenerError(l.name, `cannot listen on ${formatAddress(l.address)}: ${(error as Error).message}`);
        }
      }
    } catch (error) {
      await rollback();
      throw error;
    }

    return {
      added: added.filter((l) => !changed.includes(l.name)).map((l) => l.name),
      removed,
      changed,
      commit: () => {
        for (const b of leaving) {
          if (vacated.includes(b)) continue;
          b.listening.server.close();
          this.bound.delete(b.config.name);
        }
        for (const name of keep) this.bound.get(name)!.listening.tls?.reload();
        for (const [name, b] of fresh) {
          this.bound.set(name, b);
          const held = b.held ?? [];
          b.held = null;
          for (const s of held) if (!s.destroyed) this.accept(name, s);
          this.logger.info({ listener: name, address: formatAddress(b.listening.address), policy: b.config.policy ?? null, tls: b.config.tls !== undefined }, 'listening');
        }
      },
      rollback,
    };
  }

  /** Binds the listeners of the first generation. */
  async start(listeners: readonly ListenerConfig[]): Promise<void> {
    const change = await this.stage(listeners);
    change.commit();
  }

  /** Stops accepting everywhere. */
  close(): void {
    for (const b of this.bound.values()) b.listening.server.close();
  }

  private async bindOne(l: ListenerConfig, held: net.Socket[] | null): Promise<Bound> {
    const entry: { b?: Bound } = {};
    const listening = await listen(
      l,
      (socket) => {
        const b = entry.b;
        if (b?.held != null) b.held.push(socket);
        else this.accept(l.name, socket);
      },
      {
        onTlsClientError: (error, socket) => {
          this.logger.info({ listener: l.name, remote: `${socket.remoteAddress}:${socket.remotePort}`, error: error.message }, 'tls handshake refused');
        },
      },
    );
    entry.b = { config: l, listening, held };
    return entry.b;
  }
}

/** The peer certificate a connection can be identified by: only one mutual TLS verified. */
export function verifiedCertificate(socket: net.Socket): tls.PeerCertificate | null {
  return socket instanceof TLSSocket && socket.authorized ? socket.getPeerCertificate() : null;
}
