import type { Key } from 'react-aria-components';
import { Button, Label, ListBox, ListBoxItem, Popover, Select, SelectValue, Text } from 'react-aria-components';

export interface Option {
  id: string;
  label: string;
}

interface Props {
  label: string;
  options: Option[];
  value: string | null;
  onChange: (value: string) => void;
  description?: string;
  hideLabel?: boolean;
  placeholder?: string;
  isDisabled?: boolean;
  className?: string;
}

/** A single choice from a list (react-aria Select: a button + listbox popover). */
export function SelectField({ label, options, value, onChange, description, hideLabel = false, placeholder = 'Choose…', isDisabled = false, className }: Props) {
  return (
    <Select
      className={`field ${className ?? ''}`}
      selectedKey={value}
      onSelectionChange={(k: Key | null) => k !== null && onChange(String(k))}
      placeholder={placeholder}
      isDisabled={isDisabled}
    >
      <Label className={hideLabel ? 'visually-hidden' : 'field-label'}>{label}</Label>
      <Button className="select-trigger">
        <SelectValue />
        <span aria-hidden="true">▾</span>
      </Button>
      {description ? (
        <Text slot="description" className="field-description">
          {description}
        </Text>
      ) : null}
      <Popover className="popover">
        <ListBox className="listbox" items={options}>
          {(o) => (
            <ListBoxItem className="listbox-item" id={o.id} textValue={o.label}>
              {o.label}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </Select>
  );
}
