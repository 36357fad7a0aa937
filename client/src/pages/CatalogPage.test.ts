import { describe, expect, it } from 'vitest';

import { catalogUrl, parseFullName } from './CatalogPage';

describe('parseFullName', () => {
  it('splits one to three parts', () => {
    expect(parseFullName('main')).toEqual({ catalog: 'main', schema: null, table: null });
    expect(parseFullName('main.sales')).toEqual({ catalog: 'main', schema: 'sales', table: null });
    expect(parseFullName(' main.sales.orders ')).toEqual({ catalog: 'main', schema: 'sales', table: 'orders' });
  });

  it('rejects empty parts and more than three parts', () => {
    expect(parseFullName('')).toBeNull();
    expect(parseFullName('main..orders')).toBeNull();
    expect(parseFullName('a.b.c.d')).toBeNull();
  });
});

describe('catalogUrl', () => {
  it('keeps only the levels below a chosen parent', () => {
    expect(catalogUrl({ catalog: null, schema: 'sales', table: 'orders' })).toBe('/catalog');
    expect(catalogUrl({ catalog: 'main', schema: 'sales', table: null })).toBe('/catalog?catalog=main&schema=sales');
    expect(catalogUrl({ catalog: 'a b', schema: 's', table: 't' })).toBe('/catalog?catalog=a+b&schema=s&table=t');
  });
});
