import { isJsonObject, type JsonValue } from '../inspect/json-value.js';
import type { InspectRequest, InspectVerdict, Inspector } from '../inspect/types.js';
import { filterDataUsage, filterImageSummaries, trimImageHistory, trimImageInspect } from './filter.js';
import type { ImageAllowlist } from './pattern.js';
import { canonicalString, familiarString, fullImageId, repositoryName, withDefaultTag, withTag, withTagOrDigest, type Reference } from './reference.js';
import { badReference, hiddenImage, notAllowed, unsupported } from './refusal.js';
import { refusingInspector } from '../inspect/refusal.js';
import { mayBeIdPrefix, parseName, resolveImage, type Resolution } from './resolve.js';
import { formValue } from '../routing/query.js';

/**
 * How an operation reads a reference without tag or digest: most of dockerd adds `:latest`;
 * pull, push and save take every tag of the repository.
 */
type NameOnly = 'latest' | 'every-tag';

/** Operations on one image, addressed by the `{name}` path parameter, which dockerd resolves with GetImage. */
const OBJECT_OPS: ReadonlyMap<string, NameOnly> = new Map([
  ['ImageInspect', 'latest'],
  ['ImageHistory', 'latest'],
  ['ImageAttestations', 'latest'],
  ['ImageTag', 'latest'],
  ['ImageDelete', 'latest'],
  ['ImageGet', 'every-tag'],
]);

/** Operations the allowlist cannot confine, with why. */
const UNSUPPORTED: ReadonlyMap<string, string> = new Map([
  ['ImageBuild', 'a build starts FROM images named inside its context and names its result, which the allowlist cannot check without reading the Dockerfile'],
  ['ImageLoad', 'a loaded tarball brings its own names and content, which the allowlist cannot check'],
  ['ImageCommit', 'a commit puts the content of a container, changed by whatever ran in it, under an image name'],
  ['ImagePrune', 'a prune removes images outside the allowlist too, and lists their names'],
  ['Session', 'a BuildKit session can build FROM any image, which the allowlist cannot see'],
  ['GRPC', 'a BuildKit session can build FROM any image, which the allowlist cannot see'],
]);

const OTHER_OPS = ['ContainerCreate', 'ImageCreate', 'ImagePush', 'ImageGetAll', 'DistributionInspect', 'ImageList', 'SystemDataUsage', 'ServiceCreate', 'ServiceUpdate'];

const WANTED: ReadonlySet<string> = new Set([...OBJECT_OPS.keys(), ...UNSUPPORTED.keys(), ...OTHER_OPS]);

function named(r: Reference): string {
  return `"${familiarString(r)}" (${canonicalString(r)})`;
}

function isNameOnly(r: Reference): boolean {
  return r.tag === null && r.digest === null;
}

class Stage {
  constructor(private readonly allow: ImageAllowlist) {}

  private outside(): string {
    return `is not in the image allowlist (${this.allow.describe()})`;
  }

  /** Every tag of a repository the allowlist allows only in part: refused with the way out. */
  private everyTag(r: Reference, what: string): never {
    notAllowed(`${what} names every tag of ${repositoryName(r)}, and the image allowlist (${this.allow.describe()}) allows only some; name a tag`);
  }

  /** A name the client gives to an object route: allowed, or answered as missing. */
  private judgeObjectName(ref: Reference, nameOnly: NameOnly, text: string): void {
    const r = nameOnly === 'latest' ? withDefaultTag(ref) : ref;
    if (this.allow.allows(r)) return;
    if (isNameOnly(r) && this.allow.namesRepository(r)) this.everyTag(r, `"${text}"`);
    hiddenImage(familiarString(withDefaultTag(r)), `image ${named(r)} ${this.outside()}`);
  }

  /** An image found by ID must have an allowed name; no image at all is answered as dockerd would. */
  private requireNamed(res: Exclude<Resolution, { kind: 'name' }>, text: string): void {
    if (res.kind === 'missing') hiddenImage(res.shown, `no image answers to "${text}"`);
    if (!res.names.some((n) => this.allow.allows(n))) hiddenImage(res.shown, `image ${res.id} ("${text}") has no name in the image allowlist`);
  }

  /** Resolves the reference of an object route; it must be visible. */
  private async visible(req: InspectRequest, text: string, nameOnly: NameOnly): Promise<Resolution> {
    const res = await resolveImage(text, req.lookup);
    if (res.kind === 'name') this.judgeObjectName(res.ref, nameOnly, text);
    else this.requireNamed(res, text);
    return res;
  }

  /** The full ID to forward instead of an ID prefix; null when the client's reference stays. */
  private static pin(res: Resolution, text: string): string | null {
    return res.kind === 'image' && res.id !== text ? res.id : null;
  }

  async check(req: InspectRequest): Promise<InspectVerdict> {
    const opId = req.op.id;
    const why = UNSUPPORTED.get(opId);
    if (why !== undefined) unsupported(`${opId} is refused under an image allowlist: ${why}`);
    const nameOnly = OBJECT_OPS.get(opId);
    if (nameOnly !== undefined) return this.checkObject(req, nameOnly);
    switch (opId) {
      case 'ContainerCreate':
        return this.checkContainerCreate(req);
      case 'ImageCreate':
        return this.checkPull(req);
      case 'ImagePush':
        return this.checkPush(req);
      case 'ImageGetAll':
        return this.checkSaveAll(req);
      case 'DistributionInspect':
        return this.checkDistribution(req);
      case 'ServiceCreate':
      case 'ServiceUpdate':
        return this.checkService(req);
      case 'ImageList':
        return { allowed: true, response: (body: JsonValue) => filterImageSummaries(this.allow, body) };
      case 'SystemDataUsage':
        return { allowed: true, response: (body: JsonValue) => filterDataUsage(this.allow, body) };
    }
    return { allowed: true };
  }

  private async checkObject(req: InspectRequest, nameOnly: NameOnly): Promise<InspectVerdict> {
    const text = req.params['name'] ?? '';
    const res = await this.visible(req, text, nameOnly);
    if (req.op.id === 'ImageDelete') this.checkDeleteById(res);
    if (req.op.id === 'ImageTag') this.checkTagTarget(req);
    const pinned = Stage.pin(res, text);
    const response =
      req.op.id === 'ImageInspect'
        ? (body: JsonValue) => trimImageInspect(this.allow, body)
        : req.op.id === 'ImageHistory'
          ? (body: JsonValue) => trimImageHistory(this.allow, body)
          : undefined;
    return {
      allowed: true,
      ...(pinned === null ? {} : { params: { name: pinned } }),
      ...(response === undefined ? {} : { response }),
    };
  }

  /**
   * Removing by ID untags every name of the image: each must be allowed. A RepoDigest of a
   * repository the image has an allowed name in is the record of that name's pull, not a name
   * of its own.
   */
  private checkDeleteById(res: Resolution): void {
    if (res.kind !== 'image') return;
    const repos = new Set(res.names.filter((n) => this.allow.allows(n)).map(repositoryName));
    const others = res.names.filter((n) => !this.allow.allows(n) && !(n.digest !== null && repos.has(repositoryName(n))));
    if (others.length > 0) {
      notAllowed(`removing image ${res.id} by ID would also remove ${others.length} name(s) outside the image allowlist; remove it by an allowed name`);
    }
  }

  /** ImageTag's new name (`repo`, `tag`), read as dockerd reads it, must be allowed. */
  private checkTagTarget(req: InspectRequest): void {
    const repo = formValue(req.query, 'repo');
    if (repo === null) badReference('ImageTag names no repository (repo is empty)');
    let target = parseName(repo, 'repo');
    const tag = formValue(req.query, 'tag');
    if (tag !== null) {
      const tagged = withTag(target, tag);
      if (tagged === null) badReference(`tag "${tag}" is not a valid tag`);
      target = tagged;
    }
    if (target.digest !== null) badReference(`repo "${repo}" has a digest, which cannot be a new name`);
    target = withDefaultTag(target);
    if (!this.allow.allows(target)) notAllowed(`the new name ${named(target)} ${this.outside()}`);
  }

  private async checkContainerCreate(req: InspectRequest): Promise<InspectVerdict> {
    const body = isJsonObject(req.body) ? req.body : null;
    const image = body !== null && Object.hasOwn(body, 'Image') ? body['Image'] : undefined;
    if (body === null || image === undefined || image === null || image === '') notAllowed('the container names no image (Image is empty)');
    if (typeof image !== 'string') badReference('Image is not a string');
    const res = await resolveImage(image, req.lookup);
    if (res.kind === 'name') {
      const r = withDefaultTag(res.ref);
      if (!this.allow.allows(r)) notAllowed(`image ${named(r)} ${this.outside()}`);
      return { allowed: true };
    }
    // No such image is dockerd's own answer, on which the docker CLI pulls (and the pull is checked).
    this.requireNamed(res, image);
    const pinned = Stage.pin(res, image);
    return pinned === null ? { allowed: true } : { allowed: true, body: { ...body, Image: pinned } };
  }

  /** docker pull: `fromImage` with `tag` (a tag or a digest); without a tag, every tag. Imports are refused. */
  private checkPull(req: InspectRequest): InspectVerdict {
    const fromImage = formValue(req.query, 'fromImage');
    if (fromImage === null) {
      unsupported('ImageCreate without fromImage imports a tarball or URL, whose content and name the image allowlist cannot check');
    }
    // dockerd trims one trailing ":" (sent by old `docker pull -a`).
    let ref = parseName(fromImage.endsWith(':') ? fromImage.slice(0, -1) : fromImage, 'fromImage');
    const tag = formValue(req.query, 'tag');
    if (tag !== null) {
      const withIt = withTagOrDigest(ref, tag);
      if (withIt === null) badReference(`tag "${tag}" is neither a tag nor a digest`);
      ref = withIt;
    }
    if (this.allow.allows(ref)) return { allowed: true };
    if (isNameOnly(ref)) {
      if (this.allow.namesRepository(ref)) this.everyTag(ref, 'pulling without a tag');
      notAllowed(`image ${named(ref)} (every tag) ${this.outside()}`);
    }
    notAllowed(`image ${named(ref)} ${this.outside()}`);
  }

  /** docker push: `{name}` with `tag`; without a tag, every tag. No ID reading: push takes names. */
  private checkPush(req: InspectRequest): InspectVerdict {
    const text = req.params['name'] ?? '';
    let ref = parseName(text, 'image');
    const tag = formValue(req.query, 'tag');
    if (tag !== null) {
      const tagged = withTag(ref, tag);
      if (tagged === null) badReference(`tag "${tag}" is not a valid tag`);
      ref = tagged;
    }
    this.judgeObjectName(ref, 'every-tag', text);
    return { allowed: true };
  }

  /** docker save a b: every `names` value is resolved like ImageGet's; prefixes are pinned. */
  private async checkSaveAll(req: InspectRequest): Promise<InspectVerdict> {
    const names = req.query.get('names') ?? [];
    const forwarded: string[] = [];
    for (const text of names) {
      const res = await this.visible(req, text, 'every-tag');
      forwarded.push(Stage.pin(res, text) ?? text);
    }
    if (forwarded.every((v, i) => v === names[i])) return { allowed: true };
    const query = new Map(req.query);
    query.set('names', forwarded);
    return { allowed: true, query };
  }

  /** The registry's manifest of a name (no local image is involved, so no ID reading). */
  private checkDistribution(req: InspectRequest): InspectVerdict {
    const text = req.params['name'] ?? '';
    if (fullImageId(text) !== null) badReference(`"${text}" is an image ID, which has no manifest in a registry`);
    this.judgeObjectName(parseName(text, 'image'), 'latest', text);
    return { allowed: true };
  }

  /**
   * A service's image is resolved on each node, where a string of hex digits may be read as a local
   * image ID: only names are accepted, and they must be allowed.
   */
  private checkService(req: InspectRequest): InspectVerdict {
    const field = (o: JsonValue | undefined, key: string): JsonValue | undefined => (isJsonObject(o) && Object.hasOwn(o, key) ? o[key] : undefined);
    const image = field(field(field(req.body, 'TaskTemplate'), 'ContainerSpec'), 'Image');
    if (typeof image !== 'string' || image === '') notAllowed('the service names no image (TaskTemplate.ContainerSpec.Image is empty)');
    if (fullImageId(image) !== null || mayBeIdPrefix(image)) notAllowed(`service image "${image}" could be read as an image ID; name it by repository and tag or digest`);
    const r = withDefaultTag(parseName(image, 'service image'));
    if (!this.allow.allows(r)) notAllowed(`service image ${named(r)} ${this.outside()}`);
    return { allowed: true };
  }
}

/**
 * The inspector of a policy with `images.allow` (docs/images.md): images are used, pulled, pushed,
 * tagged and saved only under allowed names; images without an allowed name answer like missing
 * ones and are left out of lists; operations whose content or names cannot be checked are refused.
 * References that could be image IDs are looked up on the daemon (every time, no cache) and
 * pinned to the full ID that was checked; a look-up that fails refuses.
 */
export function createImageInspector(allow: ImageAllowlist): Inspector {
  const stage = new Stage(allow);
  return refusingInspector(WANTED, (req) => stage.check(req));
}
