import type { ConnectionFacts, ConnectionIdentity, IdentifyResult } from '../identity/identify.js';
import type { DecisionEntry } from '../log/decision-log.js';
import type { ConnectionContext } from '../proxy/connection.js';
import { policyMode, type Generation } from './generation.js';

/**
 * The generation in force, swapped in one assignment by a reload. Connections never hold a
 * generation: their context and identity read the current one when a request head is read, so a
 * keep-alive connection is decided by the new config from its next request on, while a request
 * already admitted (and any stream it became) carries on under the decision it got.
 */
export class Runtime {
  private gen: Generation;

  /** `observe` sees every decision, logged or not (metrics) */
  constructor(
    initial: Generation,
    private readonly observe: (entry: DecisionEntry) => void = () => {},
  ) {
    this.gen = initial;
  }

  get current(): Generation {
    return this.gen;
  }

  /** Installs `next`; the caller has checked it is complete. Returns the one it replaced. */
  swap(next: Generation): Generation {
    const old = this.gen;
    this.gen = next;
    return old;
  }

  /** The context of the connections a listener accepts, reading the current generation on each use. */
  context(listener: string): ConnectionContext {
    const runtime = this;
    return {
      listener,
      get policies() {
        return runtime.gen.policies;
      },
      get dial() {
        return runtime.gen.dial;
      },
      get minApiVersion() {
        return runtime.gen.config.limits.minApiVersion;
      },
      get maxHeaderBytes() {
        return runtime.gen.config.limits.maxHeaderBytes;
      },
      get maxBodyBytes() {
        return runtime.gen.config.limits.maxBodyBytes;
      },
      log: {
        record(entry) {
          runtime.gen.log.record(entry);
          runtime.observe(entry);
        },
      },
      get lookup() {
        return runtime.gen.lookup;
      },
      get generation() {
        return runtime.gen;
      },
      modeOf: (policy) => policyMode(runtime.gen.config, policy),
    };
  }

  /**
   * A connection's identity: the facts fixed at accept (listener, peer address, verified
   * certificate) are matched again against the current generation's clients whenever it changes.
   */
  identity(facts: ConnectionFacts): ConnectionIdentity {
    let gen = this.gen;
    let inner = gen.identifier.connection(facts);
    return {
      identify: (authorization: string | undefined): IdentifyResult => {
        if (gen !== this.gen) {
          gen = this.gen;
          inner = gen.identifier.connection(facts);
        }
        return inner.identify(authorization);
      },
    };
  }
}
