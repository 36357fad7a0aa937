// Renders a request's loading state, its error, or its data.

import type { ReactNode } from 'react';

import type { ApiResource } from '../hooks/useApi';
import { ErrorNotice } from './ErrorNotice';
import { Loading } from './Loading';

interface Props<T> {
  resource: ApiResource<T>;
  /** Name of the data, for the loading message ("your preferences"). */
  what: string;
  children: (data: T) => ReactNode;
}

export function AsyncView<T>({ resource, what, children }: Props<T>) {
  const { state, reload } = resource;
  if (state.status === 'loading') {
    return <Loading what={what} />;
  }
  if (state.status === 'error') {
    return <ErrorNotice error={state.error} onRetry={reload} />;
  }
  return <>{children(state.data)}</>;
}
