/**
 * Query parameters that only tag where a click came from, never what a page shows: a ready
 * `stripParams` value for jobs that want one URL per page rather than one per campaign.
 * Not applied by default, since a site may (rarely) serve different content for them.
 */
export const TRACKING_PARAMS: readonly (string | RegExp)[] = Object.freeze([
  /^utm_/,
  'gclid',
  'dclid',
  'gbraid',
  'wbraid',
  'fbclid',
  'msclkid',
  'mc_cid',
  'mc_eid',
  'igshid',
  'yclid',
  '_hsenc',
  '_hsmi',
]);
