import { fileURLToPath } from 'node:url';
import { SHOP_PRODUCTS, shopProduct } from '@kraul/testkit';

/** The crawl module of these tests: the test site's shop, with three misbehaving products. */
export const shopCrawl = fileURLToPath(new URL('./fixtures/shop-crawl.ts', import.meta.url));

export interface ShopItem {
  id: number;
  name: string;
  cents: number;
  category: string;
  listPage: number;
}

/** An item as `kraul run --out` and `kraul export --items` write it. */
export interface ItemLine {
  job: string;
  id: string;
  url: string;
  fp: string;
  label?: string;
  data: ShopItem;
  pushedAt: number;
}

/** The items a correct crawl of one host's shop with fixtures/shop-crawl.ts yields: all but 5, 6 and 7. */
export function expectedShopItems(): ShopItem[] {
  const items: ShopItem[] = [];
  for (let id = 1; id <= SHOP_PRODUCTS; id++) {
    if (id >= 5 && id <= 7) continue;
    const { name, price, category } = shopProduct(id);
    items.push({ id, name, cents: price, category, listPage: Math.ceil(id / 4) });
  }
  return items;
}

/** Items without the moment they were pushed, in a stable order: what two crawls can agree on. */
export function comparableItems(items: readonly ItemLine[]): Omit<ItemLine, 'pushedAt'>[] {
  return items
    .map(({ pushedAt: _pushedAt, ...rest }) => rest)
    .sort((a, b) => a.url.localeCompare(b.url) || a.id.localeCompare(b.id));
}
