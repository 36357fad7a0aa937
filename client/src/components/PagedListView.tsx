// Shows a paged list: its rows, a "Load more" button while pages remain, and the loading state or
// error of the page being read.

import type { ReactNode } from 'react';

import type { PagedList } from '../hooks/usePagedList';
import { ErrorNotice } from './ErrorNotice';
import { Loading } from './Loading';

interface Props<T> {
  list: PagedList<T>;
  /** Plural name of the rows, for messages ("schemas"). */
  what: string;
  renderItem: (item: T) => ReactNode;
  itemKey: (item: T) => string;
}

export function PagedListView<T>({ list, what, renderItem, itemKey }: Props<T>) {
  const empty = !list.loading && !list.error && list.items.length === 0;

  return (
    <div className="paged-list">
      {list.items.length > 0 && (
        <ul className="select-list">
          {list.items.map((item) => (
            <li key={itemKey(item)}>{renderItem(item)}</li>
          ))}
        </ul>
      )}
      {empty && <p className="muted">No {what} you can see.</p>}
      {list.loading && <Loading what={what} />}
      {list.error && <ErrorNotice error={list.error} onRetry={list.loadMore} />}
      {!list.loading && !list.error && list.hasMore && (
        <button type="button" className="button button-small" onClick={list.loadMore}>
          Load more {what}
        </button>
      )}
    </div>
  );
}
