import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
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
  const [toasts, setToasts] = useState<(Toast & { until: number })[]>([]);
  const next = useRef(1);
  // While the pointer or the keyboard is on a toast, none goes away (time to read and to reach
  // its link); after, each gets a few more seconds. Every toast can also be dismissed.
  const [held, setHeld] = useState(false);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const show = useCallback<Show>((text, kind = 'success', link) => {
    const id = next.current++;
    // Outcomes with somewhere to go stay longer.
    setToasts((t) => [...t.slice(-2), { id, text, kind, link, until: Date.now() + (link ? 20_000 : 8000) }]);
  }, []);
  useEffect(() => {
    if (held || toasts.length === 0) return;
    const soonest = Math.min(...toasts.map((t) => t.until));
    const timer = window.setTimeout(() => setToasts((t) => t.filter((x) => x.until > Date.now())), Math.max(0, soonest - Date.now()) + 50);
    return () => window.clearTimeout(timer);
  }, [held, toasts]);
  const release = () => {
    setHeld(false);
    setToasts((t) => t.map((x) => ({ ...x, until: Math.max(x.until, Date.now() + 5000) })));
  };
  const value = useMemo(() => show, [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div
        className="toast-region"
        role="status"
        aria-live="polite"
        onMouseEnter={() => setHeld(true)}
        onMouseLeave={release}
        onFocus={() => setHeld(true)}
        onBlur={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null)) release();
        }}
      >
        {toasts.map((t) => (
          <div key={t.id} className="toast" data-kind={t.kind}>
            <span>{t.text}</span>
            {t.link ? (
              <Link to={t.link.to} onClick={() => dismiss(t.id)}>
                {t.link.label}
              </Link>
            ) : null}
            <button type="button" className="toast-close" onClick={() => dismiss(t.id)} aria-label={`Dismiss: ${t.text}`}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  return useContext(ToastContext);
}
