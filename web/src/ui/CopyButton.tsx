import { useEffect, useState } from 'react';
import { Button } from './Button';

/** Copies `text`; says so for screen readers too. */
export function CopyButton({ text, label = 'Copy', size = 'md' }: { text: string; label?: string; size?: 'md' | 'sm' }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = window.setTimeout(() => setState('idle'), 2500);
    return () => window.clearTimeout(t);
  }, [state]);
  return (
    <>
      <Button
        size={size}
        onPress={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setState('copied');
          } catch {
            setState('failed');
          }
        }}
      >
        {state === 'copied' ? 'Copied' : label}
      </Button>
      <span role="status" className="visually-hidden">
        {state === 'copied' ? 'Copied to the clipboard' : state === 'failed' ? 'Could not copy; select the text and copy it yourself' : ''}
      </span>
    </>
  );
}

/** A value to copy (a URL, a key, a secret): shown in full, with its copy button. */
export function CopyValue({ value, label, testId }: { value: string; label: string; testId?: string }) {
  return (
    <div className="copy-row">
      <code className="secret" data-testid={testId}>
        {value}
      </code>
      <CopyButton text={value} label={label} />
    </div>
  );
}
