const WORDS = [
  'crawler',
  'frontier',
  'harbour',
  'lantern',
  'meadow',
  'river',
  'signal',
  'archive',
  'granite',
  'orchard',
  'compass',
  'thistle',
  'beacon',
  'cobalt',
  'ember',
  'falcon',
  'glacier',
  'horizon',
  'island',
  'juniper',
  'kestrel',
  'lattice',
  'marble',
  'nectar',
  'obsidian',
  'pebble',
  'quartz',
  'saffron',
  'timber',
  'umber',
  'velvet',
  'willow',
  'yonder',
  'zephyr',
  'the',
  'of',
  'and',
  'a',
  'to',
  'in',
  'quietly',
  'across',
  'under',
  'between',
  'slowly',
  'bright',
  'distant',
  'narrow',
  'ancient',
  'gentle',
];

/** mulberry32: a tiny seeded generator, so every page's text is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string: turns a page identity into a seed. */
export function hashString(value: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** `count` paragraphs of plausible-looking words, fixed by `seed`. */
export function paragraphs(seed: number, count: number, wordsPerParagraph = 70): string[] {
  const random = seededRandom(seed);
  const result: string[] = [];
  for (let p = 0; p < count; p++) {
    const words: string[] = [];
    for (let w = 0; w < wordsPerParagraph; w++) words.push(WORDS[Math.floor(random() * WORDS.length)]!);
    const sentence = words.join(' ');
    result.push(sentence.charAt(0).toUpperCase() + sentence.slice(1) + '.');
  }
  return result;
}
