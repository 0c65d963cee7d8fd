import { describe, expect, it } from 'vitest';
import {
  combineRobotsDirectives,
  noRobotsDirectives,
  parseRobotsHeader,
  parseRobotsMeta,
  type RobotsDirectives,
} from '../src/index.ts';

const only = (set: Partial<RobotsDirectives>): RobotsDirectives => ({ ...noRobotsDirectives(), ...set });

describe('parseRobotsMeta', () => {
  it.each([
    ['noindex', only({ noindex: true })],
    ['nofollow', only({ nofollow: true })],
    ['none', only({ noindex: true, nofollow: true })],
    ['NOINDEX, NoFollow', only({ noindex: true, nofollow: true })],
    ['  noindex\t nofollow ', only({ noindex: true, nofollow: true })],
    ['noarchive,nosnippet', only({ noarchive: true, nosnippet: true })],
    ['nocache', only({ noarchive: true })],
    ['noimageindex, notranslate', only({ noimageindex: true, notranslate: true })],
    ['index, follow, all', noRobotsDirectives()],
    ['max-snippet:-1, max-image-preview:large', noRobotsDirectives()],
    ['', noRobotsDirectives()],
    ['noindexing, no-index', noRobotsDirectives()],
  ])('reads %j', (content, expected) => {
    expect(parseRobotsMeta([content])).toEqual(expected);
  });

  it('combines several tags', () => {
    expect(parseRobotsMeta(['noindex', 'nofollow', 'index'])).toEqual(
      only({ noindex: true, nofollow: true }),
    );
  });
});

describe('parseRobotsHeader', () => {
  it.each([
    [['noindex'], only({ noindex: true })],
    [['none'], only({ noindex: true, nofollow: true })],
    [['NoIndex , NOFOLLOW'], only({ noindex: true, nofollow: true })],
    [['noindex', 'nofollow'], only({ noindex: true, nofollow: true })],
    [
      ['noarchive, nosnippet, notranslate, noimageindex'],
      only({ noarchive: true, nosnippet: true, notranslate: true, noimageindex: true }),
    ],
    [['kraul: noindex'], only({ noindex: true })],
    [['Kraul:nofollow'], only({ nofollow: true })],
    [['kraul: noindex, nofollow'], only({ noindex: true, nofollow: true })],
    [['otherbot: noindex, nofollow'], noRobotsDirectives()],
    [['otherbot: noindex', 'nofollow'], only({ nofollow: true })],
    [['nosnippet, otherbot: noindex, kraul: nofollow'], only({ nosnippet: true, nofollow: true })],
    [['kraul: noindex, otherbot: nofollow'], only({ noindex: true })],
    [['max-snippet: 20, noarchive'], only({ noarchive: true })],
    [['unavailable_after: Wed, 25 Jun 2031 15:00:00 GMT, noindex'], only({ noindex: true })],
    [['index, follow'], noRobotsDirectives()],
    [[], noRobotsDirectives()],
  ])('reads %j for kraul', (lines, expected) => {
    expect(parseRobotsHeader(lines, 'kraul')).toEqual(expected);
  });

  it('matches the user agent by the product token it is given', () => {
    expect(parseRobotsHeader(['mybot: noindex'], 'MyBot')).toEqual(only({ noindex: true }));
    expect(parseRobotsHeader(['mybot: noindex'], 'kraul')).toEqual(noRobotsDirectives());
  });
});

describe('combineRobotsDirectives', () => {
  it('sets what either sets', () => {
    expect(
      combineRobotsDirectives(only({ noindex: true }), only({ nofollow: true, nosnippet: true })),
    ).toEqual(only({ noindex: true, nofollow: true, nosnippet: true }));
  });
});
