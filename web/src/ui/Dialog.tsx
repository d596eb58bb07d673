import { useEffect, useRef, type ReactNode } from 'react';
import { Dialog, Heading, Modal, ModalOverlay } from 'react-aria-components';
import { asProblem, type Problem } from '../api/problem';
import { Button } from './Button';
import { useToast } from './Toast';

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


/** What ConfirmMutation runs: a TanStack mutation (its `mutate` and `isPending`). */
interface Mutation<V, D> {
  mutate: (variables: V, options: { onSuccess: (data: D) => void; onError: (err: unknown) => void }) => void;
  isPending: boolean;
}

interface ConfirmMutationProps<T, V, D> {
  /** What is asked about (a row, or `true`); `null` or `false` keeps the dialog closed. */
  item: T | null | false;
  onClose: () => void;
  title: string | ((item: T) => string);
  confirmLabel: string;
  mutation: Mutation<V, D>;
  variables: (item: T) => V;
  /** Said in a toast once it is done. */
  done?: string | ((item: T) => string);
  /** Anything else once it is done (the dialog closes by itself). */
  onDone?: (data: D, item: T) => void;
  /** A refusal: the dialog closes and the API's problem goes here. */
  onProblem: (problem: Problem) => void;
  children: ReactNode | ((item: T) => ReactNode);
  destructive?: boolean;
}

/** "Are you sure?", then the mutation: delete a file, revoke a key, remove a member, cancel a
 *  job… Closes when it is done (with a toast) or refused (the problem handed over). */
export function ConfirmMutation<T, V, D>({ item, onClose, title, confirmLabel, mutation, variables, done, onDone, onProblem, children, destructive = true }: ConfirmMutationProps<T, V, D>) {
  const toast = useToast();
  const open = item !== null && item !== false;
  const words = <R,>(v: R | ((item: T) => R), empty: R): R => (open ? (typeof v === 'function' ? (v as (item: T) => R)(item) : v) : empty);
  return (
    <ConfirmDialog
      isOpen={open}
      onOpenChange={(o) => !o && onClose()}
      title={words(title, '')}
      confirmLabel={confirmLabel}
      destructive={destructive}
      isPending={mutation.isPending}
      onConfirm={() => {
        if (!open) return;
        mutation.mutate(variables(item), {
          onSuccess: (data) => {
            if (done) toast(typeof done === 'function' ? done(item) : done);
            onDone?.(data, item);
            onClose();
          },
          onError: (err) => {
            onClose();
            onProblem(asProblem(err));
          },
        });
      }}
    >
      {words<ReactNode>(children, null)}
    </ConfirmDialog>
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
