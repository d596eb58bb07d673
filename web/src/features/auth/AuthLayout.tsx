import type { ReactNode } from 'react';
import { Link } from 'react-router';

export function Logo() {
  return (
    <svg width="28" height="28" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="var(--accent)" />
      <path d="M8 11l8-4 8 4-8 4z" fill="#fff" />
      <path d="M8 15l8 4 8-4v6l-8 4-8-4z" fill="#bcd0ff" />
    </svg>
  );
}

/** The frame of the signed-out pages. */
export function AuthLayout({ title, subtitle, children, footer }: { title: string; subtitle?: ReactNode; children: ReactNode; footer?: ReactNode }) {
  return (
    <main className="auth-page" id="main">
      <div className="auth-column">
        <Link to="/signin" className="auth-brand">
          <Logo />
          <span>PyAirtable</span>
        </Link>
        <div className="card auth-card stack">
          <div>
            <h1>{title}</h1>
            {subtitle ? <p className="muted">{subtitle}</p> : null}
          </div>
          {children}
        </div>
        {footer ? <div className="auth-footer">{footer}</div> : null}
      </div>
    </main>
  );
}
