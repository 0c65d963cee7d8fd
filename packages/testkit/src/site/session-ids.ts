import { seededRandom } from './text.ts';

/** Session ids that look random but follow from a seed, so runs repeat exactly. */
export class SessionIds {
  #random: () => number;

  constructor(seed: number) {
    this.#random = seededRandom(seed);
  }

  next(): string {
    const high = Math.floor(this.#random() * 0x100000000);
    const low = Math.floor(this.#random() * 0x100000000);
    return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
  }
}
