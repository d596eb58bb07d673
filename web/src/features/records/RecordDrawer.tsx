import { useLocation, useNavigate, useOutletContext, useParams } from 'react-router';
import type { AirtableRecord, TableSchema } from '../../api/types';
import { Drawer } from '../../ui/Dialog';
import { QueryState } from '../../ui/feedback';
import { airtableUrl, useRecord } from './api';
import { CellValue, formatDate, recordTitle } from './cells';

export interface RecordsOutlet {
  baseId: string;
  table: TableSchema;
  findRecord: (id: string) => AirtableRecord | undefined;
}

/** `…/records/:recordId`: every field of one record, and a link to it in Airtable. */
export function Component() {
  const { recordId = '' } = useParams();
  const { baseId, table, findRecord } = useOutletContext<RecordsOutlet>();
  const navigate = useNavigate();
  const location = useLocation();
  const record = useRecord(baseId, table.id, recordId, findRecord(recordId));
  const primary = table.fields.find((f) => f.id === table.primaryFieldId);
  const title = record.data ? recordTitle(record.data.fields, primary, record.data.id) : 'Record';
  const back = () => navigate({ pathname: `/bases/${baseId}/tables/${table.id}`, search: location.search });

  return (
    <Drawer isOpen onOpenChange={(open) => !open && back()} title={title}>
      <QueryState query={record} label="Loading the record…" />
      {record.data ? (
        <>
          <div className="row">
            <a className="btn btn-primary" href={airtableUrl(baseId, table.id, record.data.id)} target="_blank" rel="noopener noreferrer">
              Open in Airtable <span aria-hidden="true">↗</span>
              <span className="visually-hidden">(opens in a new tab)</span>
            </a>
            <span className="small muted mono">{record.data.id}</span>
          </div>
          <dl className="record-fields">
            {table.fields.map((f) => (
              <div key={f.id} className="record-field">
                <dt>
                  {f.name} <span className="muted small">· {f.type}</span>
                </dt>
                <dd>
                  <CellValue field={f} value={record.data.fields[f.name]} full />
                </dd>
              </div>
            ))}
            <div className="record-field">
              <dt>Created</dt>
              <dd>{formatDate(record.data.createdTime, true)}</dd>
            </div>
          </dl>
        </>
      ) : null}
    </Drawer>
  );
}
