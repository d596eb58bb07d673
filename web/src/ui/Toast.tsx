import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router';

interface Toast {
  id: number;
  text: string;
  kind: 'success' | 'error';
  link?: { label: string; to: string } | undefined;
}

type Show = (text: string, kind?: Toast['kind'], link?: Toast['link']) => void;

const ToastContext = createContext<Show>(() => {});

/** Short confirmations ("Record deleted") and background outcomes ("The import finished", with a
 *  link to it) in a polite live region. Failures that need reading where they happen are shown in
 *  place as problem alerts, not here. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const show = useCallback<Show>(
    (text, kind = 'success', link) => {
      const id = next.current++;
      setToasts((t) => [...t.slice(-2), { id, text, kind, link }]);
      // Outcomes with somewhere to go stay longer (time to reach the link by keyboard).
      window.setTimeout(() => dismiss(id), link ? 20_000 : 8000);
    },
    [dismiss],
  );
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toast-region" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className="toast" data-kind={t.kind}>
            <span>{t.text}</span>
            {t.link ? (
              <Link to={t.link.to} onClick={() => dismiss(t.id)}>
                {t.link.label}
              </Link>
            ) : null}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  return useContext(ToastContext);
}
