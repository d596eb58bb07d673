// Ctrl/Cmd-K anywhere in the app (or the header's button) opens the command palette; its dialog
// and what it lists load on the first opening, in a chunk of their own.
import { createContext, lazy, Suspense, useContext, useEffect, useState, type ReactNode } from 'react';
import { Button } from '../ui/Button';
import { Icon } from '../ui/Icon';

const PaletteDialog = lazy(() => import('./PaletteDialog'));

const OpenContext = createContext<() => void>(() => {});

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
export const SHORTCUT = isMac ? '⌘K' : 'Ctrl+K';

export function CommandPalette({ children }: { children?: ReactNode }) {
  const [open, setOpen] = useState(false);
  const [loaded, setLoaded] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setLoaded(true);
        setOpen((o) => !o);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <OpenContext.Provider
      value={() => {
        setLoaded(true);
        setOpen(true);
      }}
    >
      {children}
      {loaded ? (
        <Suspense fallback={null}>
          <PaletteDialog isOpen={open} onOpenChange={setOpen} />
        </Suspense>
      ) : null}
    </OpenContext.Provider>
  );
}

/** The palette's button in the header (touch screens have no Ctrl-K). */
export function PaletteButton() {
  const open = useContext(OpenContext);
  return (
    <Button variant="ghost" className="palette-button" onPress={open} aria-label={`Jump to a page, table, workflow or conversation (${SHORTCUT})`} aria-keyshortcuts="Control+K Meta+K">
      <Icon name="search" />
      <span className="palette-hint" aria-hidden="true">
        {SHORTCUT}
      </span>
    </Button>
  );
}
