import { useEffect, useRef, type ReactNode } from 'react';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { Button } from './Button';

interface ModalDialogProps {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  children: ReactNode | ((close: () => void) => ReactNode);
  wide?: boolean;
  role?: 'dialog' | 'alertdialog';
  isDismissable?: boolean;
}

/** A modal dialog (react-aria: focus trapped and restored, Escape closes, labelled by its title). */
export function ModalDialog({ isOpen, onOpenChange, title, children, wide = false, role = 'dialog', isDismissable = true }: ModalDialogProps) {
  return (
    <ModalOverlay className="modal-overlay" isOpen={isOpen} onOpenChange={onOpenChange} isDismissable={isDismissable}>
      <Modal className={wide ? 'modal modal-wide' : 'modal'}>
        <Dialog className="dialog" role={role}>
          {({ close }) => (
            <>
              <Heading slot="title" level={2} style={{ margin: 0 }}>
                {title}
              </Heading>
              {typeof children === 'function' ? children(close) : children}
            </>
          )}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}

interface ConfirmProps {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  isPending?: boolean;
  destructive?: boolean;
}

/** "Are you sure?" — an alert dialog whose confirm button says what will happen. */
export function ConfirmDialog({ isOpen, onOpenChange, title, children, confirmLabel, onConfirm, isPending = false, destructive = true }: ConfirmProps) {
  // One confirmation per opening, even for a double click faster than a re-render.
  const fired = useRef(false);
  useEffect(() => {
    if (!isPending || !isOpen) fired.current = false;
  }, [isPending, isOpen]);
  return (
    <ModalDialog isOpen={isOpen} onOpenChange={onOpenChange} title={title} role="alertdialog">
      {(close) => (
        <>
          <div>{children}</div>
          <div className="dialog-actions">
            <Button onPress={close} isDisabled={isPending}>
              Cancel
            </Button>
            <Button
              variant={destructive ? 'danger' : 'primary'}
              onPress={() => {
                if (fired.current) return;
                fired.current = true;
                onConfirm();
              }}
              isDisabled={isPending}
              autoFocus
            >
              {isPending ? 'Working…' : confirmLabel}
            </Button>
          </div>
        </>
      )}
    </ModalDialog>
  );
}

/** A side sheet (record details). */
export function Drawer({ isOpen, onOpenChange, title, children }: { isOpen: boolean; onOpenChange: (open: boolean) => void; title: ReactNode; children: ReactNode }) {
  return (
    <ModalOverlay className="drawer-overlay" isOpen={isOpen} onOpenChange={onOpenChange} isDismissable>
      <Modal className="drawer">
        <Dialog className="dialog">
          <div className="row-between">
            <Heading slot="title" level={2} style={{ margin: 0, minWidth: 0, overflowWrap: 'anywhere' }}>
              {title}
            </Heading>
            <Button slot="close" variant="ghost" icon aria-label="Close">
              ✕
            </Button>
          </div>
          {children}
        </Dialog>
      </Modal>
    </ModalOverlay>
  );
}
