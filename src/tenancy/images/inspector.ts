import { decodeGoJson } from '../../inspect/go-json.js';
import { isJsonObject, type JsonValue } from '../../inspect/json-value.js';
import { InspectRefusal, refusingInspector } from '../../inspect/refusal.js';
import { ANY } from '../../inspect/schemas.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../../inspect/types.js';
import { familiarString, fullImageId, withDefaultTag, withTag, type Reference } from '../../images/reference.js';
import { mayBeIdPrefix, parseName } from '../../images/resolve.js';
import { formValue, withParam } from '../../routing/query.js';
import { queryFilters, withFilters } from '../filters.js';
import { hidden } from '../refusal.js';
import {
  presentContainer,
  presentContainerSummaries,
  presentDataUsage,
  presentDeleted,
  presentEvent,
  presentHistory,
  presentImage,
  presentImageSummaries,
  presentStreamValue,
} from './present.js';
import { requireImage, resolveImageFor, shownName, type Resolved } from './resolve.js';
import { ImageSpace, RESERVED } from './space.js';

/** Operations on one image by its `{name}` path parameter that only read it. */
const READ_OPS: ReadonlySet<string> = new Set(['ImageInspect', 'ImageHistory', 'ImageAttestations']);

/** Why an operation cannot be confined to the client's images. */
const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['ImageLoad', 'a loaded tarball names its images itself (manifest.json, repositories, the OCI index), and the daemon would store any content under any shared name; load it without a tenant policy, or pull it from a registry'],
  ['ImagePrune', 'dockerd prunes by label and age only and removes every name of each image it prunes, so a prune cannot be confined to the client\'s images; remove them with docker rmi'],
]);

const WANTED: ReadonlySet<string> = new Set([
  ...READ_OPS,
  ...UNSUPPORTED.keys(),
  'ImageGet', 'ImageGetAll', 'ImageTag', 'ImageDelete', 'ImagePush', 'ImageBuild', 'ImageCommit', 'ImageCreate', 'ImageList',
  'ContainerCreate', 'ContainerList', 'ContainerInspect', 'SystemDataUsage', 'SystemEvents',
]);

function unsupported(reason: string): never {
  throw new InspectRefusal('PC_TENANCY_IMAGES_UNSUPPORTED', reason);
}

function badName(reason: string): never {
  throw new InspectRefusal('PC_TENANCY_IMAGE_NAME', reason);
}

/**
 * A new name the client gives (tag, build -t, commit, import), read as dockerd reads
 * `repo` + `tag` (a `tag` replaces the one in `repo`; `:latest` without either), in the client's
 * tag space: `[repository, daemon tag]`.
 */
function newName(space: ImageSpace, repo: string, tag: string | null, what: string): [string, string] {
  let ref: Reference = parseName(repo, what);
  if (ref.digest !== null) badName(`${what} "${repo}" has a digest, which cannot be a new name`);
  if (tag !== null) {
    const tagged = withTag(ref, tag);
    if (tagged === null) badName(`tag "${tag}" is not a valid tag`);
    ref = tagged;
  }
  const t = withDefaultTag(ref).tag as string;
  return [familiarString({ ...ref, tag: null }), space.toDaemonTag(t)];
}

/** The query with `repo`/`tag` naming the result in the client's tag space (commit, import, tag). */
function renamedQuery(req: InspectRequest, space: ImageSpace, what: string): Map<string, readonly string[]> | null {
  const repo = formValue(req.query, 'repo');
  if (repo === null) return null;
  const [repository, tag] = newName(space, repo, formValue(req.query, 'tag'), what);
  return withParam(withParam(req.query, 'repo', repository), 'tag', tag);
}

/** The full ID, or the daemon name it was found by when that name is the client's own. */
function pinned(r: Resolved): string {
  return r.via === 'own' && r.name !== null ? r.name : r.id;
}

function isNameOnly(text: string): boolean {
  try {
    const r = parseName(text, 'image');
    return r.tag === null && r.digest === null;
  } catch {
    return false;
  }
}

/** A name dockerd can only read as a shared name: no reserved tag, no digest, nothing an ID prefix could be. */
function plainName(text: string): boolean {
  if (fullImageId(text) !== null || mayBeIdPrefix(text)) return false;
  try {
    const r = parseName(text, 'image');
    return r.digest === null && !(withDefaultTag(r).tag as string).startsWith(RESERVED);
  } catch {
    return false;
  }
}

class Stage {
  constructor(private readonly space: ImageSpace) {}

  async check(req: InspectRequest): Promise<InspectVerdict> {
    const op = req.op.id;
    const space = this.space;
    const why = UNSUPPORTED.get(op);
    if (why !== undefined) unsupported(`${op} is refused under tenancy: ${why}`);
    if (READ_OPS.has(op)) {
      const r = await requireImage(space, req.lookup, req.params['name'] ?? '');
      const response =
        op === 'ImageInspect' ? (b: JsonValue) => presentImage(space, b) : op === 'ImageHistory' ? (b: JsonValue) => presentHistory(space, b) : undefined;
      return { allowed: true, params: { name: r.id }, ...(response === undefined ? {} : { response }) };
    }
    switch (op) {
      case 'ContainerCreate':
        return this.checkContainerCreate(req);
      case 'ImageTag':
        return this.checkTag(req);
      case 'ImageDelete':
        return this.checkDelete(req);
      case 'ImagePush':
        return this.checkPush(req);
      case 'ImageGet': {
        const text = req.params['name'] ?? '';
        return { allowed: true, params: { name: await this.saved(req, text) } };
      }
      case 'ImageGetAll': {
        const forwarded: string[] = [];
        for (const text of req.query.get('names') ?? []) forwarded.push(await this.saved(req, text));
        const query = new Map(req.query);
        query.set('names', forwarded);
        return { allowed: true, query };
      }
      case 'ImageBuild':
        return this.checkBuild(req);
      case 'ImageCommit': {
        const query = renamedQuery(req, space, 'repo');
        return query === null ? { allowed: true } : { allowed: true, query };
      }
      case 'ImageCreate':
        return this.checkCreate(req);
      case 'ImageList':
        return this.checkList(req);
      case 'ContainerList':
        return { allowed: true, response: (b) => presentContainerSummaries(space, b) };
      case 'ContainerInspect':
        return { allowed: true, response: (b) => presentContainer(space, b) };
      case 'SystemDataUsage':
        return { allowed: true, response: (b) => presentDataUsage(space, b) };
      case 'SystemEvents':
        return { allowed: true, events: (ev) => presentEvent(space, ev) };
    }
    return { allowed: true };
  }

  private async checkContainerCreate(req: InspectRequest): Promise<InspectVerdict> {
    const body = req.body;
    const image = isJsonObject(body) && Object.hasOwn(body, 'Image') ? body['Image'] : undefined;
    // No image (or not a string) is dockerd's to refuse; nothing is resolved for it.
    if (!isJsonObject(body) || typeof image !== 'string' || image === '') return { allowed: true };
    const r = await resolveImageFor(this.space, req.lookup, image);
    if (r === null) {
      // dockerd reads a name that is neither reserved nor hex by name only, and no client's name is
      // spelt that way: it answers its own 404 (on which the CLI pulls) or finds a shared image.
      if (plainName(image)) return { allowed: true };
      hidden(`No such image: ${shownName(image)}`, `no image the client "${this.space.client}" sees answers to "${image}"`);
    }
    const forward = r.via === 'shared' && r.name !== null ? r.name : pinned(r);
    return forward === image ? { allowed: true } : { allowed: true, body: { ...body, Image: forward } };
  }

  private async checkTag(req: InspectRequest): Promise<InspectVerdict> {
    const r = await requireImage(this.space, req.lookup, req.params['name'] ?? '');
    const query = renamedQuery(req, this.space, 'repo');
    if (query === null) badName('ImageTag names no repository (repo is empty)');
    return { allowed: true, params: { name: r.id }, query };
  }

  private async checkDelete(req: InspectRequest): Promise<InspectVerdict> {
    const text = req.params['name'] ?? '';
    const r = await requireImage(this.space, req.lookup, text);
    const response = (b: JsonValue): JsonValue => presentDeleted(this.space, b);
    if (r.via === 'own') return { allowed: true, params: { name: r.name! }, response };
    if (r.via === 'shared') {
      throw new InspectRefusal('PC_SHARED_READ_ONLY', `image "${text}" is shared with client "${this.space.client}", which may use it but not remove it`);
    }
    // By ID dockerd removes every name of the image.
    if (r.shared.length > 0 || r.others.length > 0) {
      const what = r.others.length > 0 ? `${r.shared.length + r.others.length} name(s) that are not the client's own` : `${r.shared.length} shared name(s)`;
      throw new InspectRefusal('PC_SHARED_READ_ONLY', `removing image ${r.id} by ID would remove ${what}; remove it by the client's own names`);
    }
    return { allowed: true, params: { name: r.id }, response };
  }

  private async checkPush(req: InspectRequest): Promise<InspectVerdict> {
    const text = req.params['name'] ?? '';
    let ref = parseName(text, 'image');
    const tag = formValue(req.query, 'tag');
    if (tag !== null) {
      const tagged = withTag(ref, tag);
      if (tagged === null) badName(`tag "${tag}" is not a valid tag`);
      ref = tagged;
    }
    if (ref.tag === null && ref.digest === null) {
      unsupported(`pushing every tag of ${familiarString(ref)} would push other clients' images of that repository too; name a tag`);
    }
    const r = await requireImage(this.space, req.lookup, familiarString(ref));
    if (r.via !== 'shared') {
      unsupported(
        `image "${familiarString(ref)}" is the client's own: dockerd pushes under its local name, which for a client's image is not the name it gave, and tagging it under that shared name for the push would race with other clients' pushes of the same name; push from a pipeline with its own daemon`,
      );
    }
    return { allowed: true };
  }

  /** What `docker save` forwards for one name: own images by ID (their daemon names would travel in the tarball). */
  private async saved(req: InspectRequest, text: string): Promise<string> {
    const r = await resolveImageFor(this.space, req.lookup, text);
    if (r !== null && r.via === 'id') return r.id;
    if (isNameOnly(text)) unsupported(`saving "${text}" takes every tag of the repository, other clients' included; name a tag`);
    if (r === null) hidden(`No such image: ${shownName(text)}`, `no image the client "${this.space.client}" sees answers to "${text}"`);
    return r.via === 'shared' ? text : r.id;
  }

  private async checkBuild(req: InspectRequest): Promise<InspectVerdict> {
    const space = this.space;
    const query = new Map(req.query);
    const tags = req.query.get('t');
    if (tags !== undefined) {
      query.set(
        't',
        tags.filter((t) => t !== '').map((t) => {
          const [repository, tag] = newName(space, t, null, 't');
          return `${repository}:${tag}`;
        }),
      );
    }
    const cache = req.query.get('cachefrom');
    if (cache !== undefined) {
      if (cache.length > 1) badName('cachefrom is given more than once');
      const text = cache[0] ?? '';
      if (text !== '') {
        const decoded = decodeGoJson(Buffer.from(text, 'utf8'), { kind: 'array', items: ANY });
        // Go unmarshals `null` into a nil list: Compose v2 sends it for a build without cache sources.
        const isNull = decoded.ok && decoded.value === null && text.replace(/[ \t\n\r]/g, '') === 'null';
        const list = isNull ? [] : decoded.ok ? decoded.value : undefined;
        if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) {
          badName('cachefrom is not a JSON list of image references');
        }
        const kept: string[] = [];
        // dockerd skips a cache source it cannot find, so one the client cannot see is skipped too.
        for (const ref of list as string[]) {
          const r = await resolveImageFor(space, req.lookup, ref);
          if (r !== null) kept.push(r.id);
        }
        query.set('cachefrom', [JSON.stringify(kept)]);
      }
    }
    return { allowed: true, query, events: (v) => presentStreamValue(space, v) };
  }

  private checkCreate(req: InspectRequest): InspectVerdict {
    const fromImage = formValue(req.query, 'fromImage');
    if (fromImage === null) {
      // An import: its result is named by repo and tag, in the client's tag space.
      const query = renamedQuery(req, this.space, 'repo');
      return query === null ? { allowed: true } : { allowed: true, query };
    }
    // A pull stores the registry's content under the registry's name: a shared name, never a reserved one.
    const ref = parseName(fromImage.endsWith(':') ? fromImage.slice(0, -1) : fromImage, 'fromImage');
    const tag = formValue(req.query, 'tag') ?? ref.tag;
    if (tag !== null && tag.startsWith(RESERVED)) badName(`tag "${tag}" begins with "${RESERVED}", which is reserved for the clients' image name spaces`);
    if (tag === null && ref.digest === null) {
      // Whoever can push to the repository could have pushed tags spelt like a client's daemon names.
      unsupported(`pulling every tag of ${familiarString(ref)} could bring in tags in the clients' image name spaces; name a tag or a digest`);
    }
    return { allowed: true };
  }

  private async checkList(req: InspectRequest): Promise<InspectVerdict> {
    const filters = queryFilters(req.query);
    const refs = filters.get('reference');
    if (refs !== undefined) {
      const added = [...refs].flatMap((p) => {
        const colon = p.lastIndexOf(':');
        return colon > p.lastIndexOf('/') ? [p.slice(0, colon + 1) + this.space.marker + p.slice(colon + 1)] : [];
      });
      filters.set('reference', new Set([...refs, ...added]));
    }
    for (const key of ['before', 'since']) {
      const values = filters.get(key);
      if (values === undefined) continue;
      const ids = new Set<string>();
      for (const v of values) ids.add((await requireImage(this.space, req.lookup, v)).id);
      filters.set(key, ids);
    }
    const query = filters.size === 0 ? req.query : withFilters(req.query, filters);
    return { allowed: true, query, response: (b) => presentImageSummaries(this.space, b) };
  }
}

/**
 * The image stage of a tenancy policy: each client has its own image tag space on the daemon
 * (docs/tenancy.md, "Images belong to tenants"); references resolve within what the client sees
 * and are pinned, new names go into its space, answers carry its names.
 */
export function createTenantImagesInspector(): Inspector {
  return refusingInspector(WANTED, (req) => new Stage(new ImageSpace(req.client)).check(req));
}
