// Unity Catalog browser: catalog → schema → table → columns, as the signed-in user may see them.
// The selection lives in the query string, so a link opens the same place.

import { type FormEvent, useState } from 'react';

import { api } from '../api/client';
import type { CatalogInfo, SchemaInfo, TableInfo } from '../api/types';
import { AsyncView } from '../components/AsyncView';
import { PagedListView } from '../components/PagedListView';
import { useApi } from '../hooks/useApi';
import { usePagedList } from '../hooks/usePagedList';
import { navigate, useLocation } from '../router/router';

interface Selection {
  catalog: string | null;
  schema: string | null;
  table: string | null;
}

export function catalogUrl(selection: Selection): string {
  const params = new URLSearchParams();
  if (selection.catalog) params.set('catalog', selection.catalog);
  if (selection.catalog && selection.schema) params.set('schema', selection.schema);
  if (selection.catalog && selection.schema && selection.table) params.set('table', selection.table);
  const query = params.toString();
  return query === '' ? '/catalog' : `/catalog?${query}`;
}

/** Splits `catalog`, `catalog.schema` or `catalog.schema.table` into a selection. */
export function parseFullName(fullName: string): Selection | null {
  const parts = fullName.trim().split('.');
  if (parts.length > 3 || parts.some((part) => part === '')) {
    return null;
  }
  return { catalog: parts[0] ?? null, schema: parts[1] ?? null, table: parts[2] ?? null };
}

export function CatalogPage() {
  const { query } = useLocation();
  const selection: Selection = {
    catalog: query.get('catalog'),
    schema: query.get('schema'),
    table: query.get('table'),
  };

  return (
    <>
      <h1>Catalog</h1>
      <p className="lead">Unity Catalog objects, listed with your own permissions.</p>
      <OpenByName />
      <div className="browser">
        <section className="card browser-column" aria-labelledby="catalogs-heading">
          <h2 id="catalogs-heading">Catalogs</h2>
          <CatalogList selected={selection.catalog} />
        </section>
        {selection.catalog && (
          <section className="card browser-column" aria-labelledby="schemas-heading">
            <h2 id="schemas-heading">Schemas in {selection.catalog}</h2>
            <SchemaList catalog={selection.catalog} selected={selection.schema} />
          </section>
        )}
        {selection.catalog && selection.schema && (
          <section className="card browser-column" aria-labelledby="tables-heading">
            <h2 id="tables-heading">
              Tables in {selection.catalog}.{selection.schema}
            </h2>
            <TableList catalog={selection.catalog} schema={selection.schema} selected={selection.table} />
          </section>
        )}
      </div>
      {selection.catalog && selection.schema && selection.table && (
        <section className="card" aria-labelledby="table-heading">
          <h2 id="table-heading">
            {selection.catalog}.{selection.schema}.{selection.table}
          </h2>
          <TableDetail fullName={`${selection.catalog}.${selection.schema}.${selection.table}`} />
        </section>
      )}
    </>
  );
}

function OpenByName() {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const selection = parseFullName(text);
    if (!selection) {
      setProblem('Enter catalog, catalog.schema or catalog.schema.table.');
      return;
    }
    setProblem(null);
    navigate(catalogUrl(selection));
  };

  return (
    <form className="form form-inline" onSubmit={submit}>
      <div className="field">
        <label htmlFor="full-name">Open by name</label>
        <input
          id="full-name"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="catalog.schema.table"
          autoComplete="off"
          aria-describedby={problem ? 'full-name-problem' : undefined}
        />
      </div>
      <button type="submit" className="button">
        Open
      </button>
      {problem && (
        <p id="full-name-problem" className="field-problem" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}

function SelectLink({ href, selected, label }: { href: string; selected: boolean; label: string }) {
  return (
    <button
      type="button"
      className={selected ? 'select-item selected' : 'select-item'}
      aria-pressed={selected}
      onClick={() => navigate(href)}
    >
      {label}
    </button>
  );
}

function CatalogList({ selected }: { selected: string | null }) {
  const list = usePagedList<CatalogInfo>((token, signal) => api.listCatalogs(token, signal), []);
  return (
    <PagedListView
      list={list}
      what="catalogs"
      itemKey={(catalog) => catalog.name}
      renderItem={(catalog) => (
        <SelectLink
          href={catalogUrl({ catalog: catalog.name, schema: null, table: null })}
          selected={catalog.name === selected}
          label={catalog.name}
        />
      )}
    />
  );
}

function SchemaList({ catalog, selected }: { catalog: string; selected: string | null }) {
  const list = usePagedList<SchemaInfo>((token, signal) => api.listSchemas(catalog, token, signal), [catalog]);
  return (
    <PagedListView
      list={list}
      what="schemas"
      itemKey={(schema) => schema.name}
      renderItem={(schema) => (
        <SelectLink
          href={catalogUrl({ catalog, schema: schema.name, table: null })}
          selected={schema.name === selected}
          label={schema.name}
        />
      )}
    />
  );
}

function TableList({ catalog, schema, selected }: { catalog: string; schema: string; selected: string | null }) {
  const list = usePagedList<TableInfo>(
    (token, signal) => api.listTables(catalog, schema, token, signal),
    [catalog, schema],
  );
  return (
    <PagedListView
      list={list}
      what="tables"
      itemKey={(table) => table.name}
      renderItem={(table) => (
        <SelectLink
          href={catalogUrl({ catalog, schema, table: table.name })}
          selected={table.name === selected}
          label={table.name}
        />
      )}
    />
  );
}

function TableDetail({ fullName }: { fullName: string }) {
  const table = useApi((signal) => api.getTable(fullName, signal), [fullName]);
  return (
    <AsyncView resource={table} what="the table">
      {(info) => (
        <>
          <dl className="facts">
            <dt>Type</dt>
            <dd>{info.table_type ?? 'unknown'}</dd>
            <dt>Format</dt>
            <dd>{info.data_source_format ?? 'unknown'}</dd>
            <dt>Owner</dt>
            <dd>{info.owner ?? 'unknown'}</dd>
            {info.comment && (
              <>
                <dt>Comment</dt>
                <dd>{info.comment}</dd>
              </>
            )}
          </dl>
          <div className="table-scroll">
            <table className="data-table" data-testid="column-table">
              <caption>Columns</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Nullable</th>
                  <th scope="col">Comment</th>
                </tr>
              </thead>
              <tbody>
                {(info.columns ?? []).map((column, index) => (
                  <tr key={column.name}>
                    <td>{column.position ?? index}</td>
                    <th scope="row">{column.name}</th>
                    <td>
                      <code>{column.type_text ?? column.type_name ?? '?'}</code>
                    </td>
                    <td>{column.nullable === false ? 'no' : 'yes'}</td>
                    <td>{column.comment ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </AsyncView>
  );
}
