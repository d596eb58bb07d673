import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

interface Props extends Omit<InputHTMLAttributes<HTMLInputElement>, 'id'> {
  label: string;
  description?: ReactNode;
  error?: string | undefined;
}

/** A labelled native input with its description and error wired to it (no JS framework cost:
 *  the sign-in page uses it). */
export function TextInput({ label, description, error, className, ...input }: Props) {
  const id = useId();
  const descId = description ? `${id}-desc` : undefined;
  const errId = error ? `${id}-err` : undefined;
  const describedBy = [descId, errId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>{label}</label>
      <input id={id} className="input" aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {description ? (
        <div id={descId} className="field-description">
          {description}
        </div>
      ) : null}
      {error ? (
        <div id={errId} className="field-error">
          {error}
        </div>
      ) : null}
    </div>
  );
}
