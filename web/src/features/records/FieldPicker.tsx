import { Dialog, DialogTrigger, Heading, Popover } from 'react-aria-components';
import type { Field } from '../../api/types';
import { Button } from '../../ui/Button';

interface Props {
  fields: Field[];
  hidden: ReadonlySet<string>;
  primaryFieldId: string;
  onChange: (hidden: Set<string>) => void;
}

/** Which fields the grid shows (the primary field always). */
export function FieldPicker({ fields, hidden, primaryFieldId, onChange }: Props) {
  const hiddenCount = fields.filter((f) => hidden.has(f.id)).length;
  const toggle = (id: string) => {
    const next = new Set(hidden);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    onChange(next);
  };
  return (
    <DialogTrigger>
      <Button aria-label={hiddenCount ? `Fields, ${hiddenCount} hidden` : 'Fields'}>
        <span aria-hidden="true">☰</span> Fields{hiddenCount ? ` (${hiddenCount} hidden)` : ''}
      </Button>
      <Popover className="popover" placement="bottom start">
        <Dialog className="dialog field-picker" aria-label="Choose fields">
          <Heading slot="title" level={2} className="popover-title">
            Fields shown
          </Heading>
          <fieldset className="plain-fieldset">
            <legend className="visually-hidden">Fields shown in the grid</legend>
            {fields.map((f) => (
              <label key={f.id} className="checkbox">
                <input type="checkbox" checked={!hidden.has(f.id)} disabled={f.id === primaryFieldId} onChange={() => toggle(f.id)} />
                <span>
                  {f.name} <span className="muted small">· {f.type}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="row">
            <Button size="sm" onPress={() => onChange(new Set())} isDisabled={hiddenCount === 0}>
              Show all
            </Button>
            <Button size="sm" onPress={() => onChange(new Set(fields.filter((f) => f.id !== primaryFieldId).map((f) => f.id)))}>
              Hide all
            </Button>
          </div>
        </Dialog>
      </Popover>
    </DialogTrigger>
  );
}
