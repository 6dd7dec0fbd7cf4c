import { InspectRefusal } from '../../inspect/refusal.js';

/** dockerd's tag grammar (distribution/reference): at most 128 characters. */
const TAG = /^\w[\w.-]{0,127}$/;
/** Tags that begin with this are the daemon's spelling of a client's tag. */
export const RESERVED = '__';

/**
 * A client name written with tag characters and no ".": letters, digits and "-" stay, "_", "."
 * and "@" (which client names may hold) become "_u", "_d", "_a". The mapping is injective and the
 * key ends where the first "." is, so one client's marker never begins another's.
 */
export function clientKey(client: string): string {
  return client.replace(/[_.@]/g, (c) => (c === '_' ? '_u' : c === '.' ? '_d' : '_a'));
}

/** Where the tag of a familiar reference string (`repo:tag`, `host:5000/repo:tag`) begins, or -1. */
function tagColon(ref: string): number {
  if (ref.includes('@')) return -1;
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? colon : -1;
}

function badName(reason: string): never {
  throw new InspectRefusal('PC_TENANCY_IMAGE_NAME', reason);
}

/**
 * A client's image tag space on the daemon: its tags are stored as `__<key>.<tag>` in the same
 * repository. The repository is kept so that registries, digests and name filters still work;
 * whose a daemon name is can be read from its tag alone.
 */
export class ImageSpace {
  /** `__<key>.` */
  readonly marker: string;

  constructor(readonly client: string) {
    this.marker = `${RESERVED}${clientKey(client)}.`;
  }

  /** The daemon's tag for a tag the client gives to a new name; refuses what cannot be one. */
  toDaemonTag(tag: string): string {
    if (tag.startsWith(RESERVED)) badName(`tag "${tag}" begins with "${RESERVED}", which is reserved for the clients' image name spaces`);
    const raw = this.marker + tag;
    if (!TAG.test(raw)) badName(`tag "${tag}" is longer than ${128 - this.marker.length} characters, the most a tag of client "${this.client}" may have`);
    return raw;
  }

  /** Whose a daemon tag is. */
  tagKind(tag: string): 'own' | 'other' | 'shared' {
    if (tag.startsWith(this.marker) && tag.length > this.marker.length) return 'own';
    return tag.startsWith(RESERVED) ? 'other' : 'shared';
  }

  /**
   * A name from the daemon's answers (`RepoTags`, history `Tags`, `Untagged`, a container's
   * `Image`), as the client may see it: its own with the marker taken off, a shared one as it is,
   * null for another client's. Strings that are not names (`<none>:<none>`, IDs) stay.
   */
  present(ref: string): string | null {
    const colon = tagColon(ref);
    if (colon === -1) return ref;
    const tag = ref.slice(colon + 1);
    switch (this.tagKind(tag)) {
      case 'own':
        return ref.slice(0, colon + 1) + tag.slice(this.marker.length);
      case 'other':
        return null;
      case 'shared':
        return ref;
    }
  }

  /** Free text (build output): the client's own daemon names written as it knows them. */
  presentText(text: string): string {
    return text.split(':' + this.marker).join(':');
  }
}
