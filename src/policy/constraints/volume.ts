import { isJsonObject, type JsonValue } from '../../inspect/json-value.js';
import type { CheckContext } from './context.js';
import { checkLocalVolumeOptions, checkVolumeDriver } from './mounts.js';
import { field, optStringMap, optString, refuse } from './util.js';

/** VolumeCreate: the driver, and for the local driver its mount options. */
export function checkVolumeCreate(body: JsonValue | null, ctx: CheckContext): void {
  if (body === null) return;
  if (!isJsonObject(body)) refuse('PC_DENIED_MALFORMED_BODY', 'the body is not a JSON object');
  const driver = optString(field(body, 'Driver'), 'Driver') ?? '';
  checkVolumeDriver(driver, 'Driver', ctx.c);
  if (driver === '' || driver === 'local') {
    checkLocalVolumeOptions(optStringMap(field(body, 'DriverOpts'), 'DriverOpts') ?? [], 'DriverOpts', ctx.c);
  }
}
