import type { ReactNode } from 'react';

/** A list as a table: its caption for screen readers, a header row of `columns` (and a last,
 *  unlabelled-on-screen "Actions" column when `actions`), then the rows. On a narrow screen it
 *  scrolls sideways inside its own wrapper. */
export function ListTable({ caption, columns, actions = false, children }: { caption: string; columns: string[]; actions?: boolean; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="list">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
            {actions ? (
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
