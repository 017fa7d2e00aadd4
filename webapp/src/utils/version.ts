// Feature detection from GET /version: the DC signaling lock exists from plugin 1.7.0 (and rtcd 1.1.0).
import type {VersionInfo} from '../types';

function parse(v: string): number[] | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function versionAtLeast(v: string | undefined, min: string): boolean {
  if (!v) {
    return false;
  }
  const a = parse(v);
  const b = parse(min) as number[];
  if (!a) {
    // Development builds ("dev", commit hashes) count as new.
    return true;
  }
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) {
      return a[i] > b[i];
    }
  }
  return true;
}

export function hasDCSignalingLockSupport(info: VersionInfo): boolean {
  if (!versionAtLeast(info.version, '1.7.0')) {
    return false;
  }
  return info.rtcd_version ? versionAtLeast(info.rtcd_version, '1.1.0') : true;
}
