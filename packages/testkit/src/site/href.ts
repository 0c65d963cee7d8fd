import type { HrefForm } from './graph.ts';

/** Writes `target` as an href of the given form that resolves to `target` against `base`. */
export function writeHref(base: URL, target: URL, form: HrefForm): string {
  if (form === 'absolute' || target.origin !== base.origin) return target.href;
  const tail = target.search + target.hash;
  if (form === 'fragment' && target.pathname === base.pathname && base.search === target.search) {
    return target.hash;
  }
  if (form === 'root') return target.pathname + tail;

  const baseDir = base.pathname.split('/').slice(1, -1);
  const targetSegments = target.pathname.split('/').slice(1);
  let common = 0;
  while (
    common < baseDir.length &&
    common < targetSegments.length - 1 &&
    baseDir[common] === targetSegments[common]
  ) {
    common++;
  }
  const up = baseDir.length - common;
  const down = targetSegments.slice(common).join('/');
  if (form === 'parent' && up === 0) {
    // Climb one level and come back down, so the href really contains "../".
    return '../' + targetSegments.slice(Math.max(0, common - 1)).join('/') + tail;
  }
  const relative = '../'.repeat(up) + down;
  if (form === 'dot' && up === 0) return './' + relative + tail;
  return (relative === '' ? './' : relative) + tail;
}
