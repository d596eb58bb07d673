import { Button as AriaButton, type ButtonProps as AriaButtonProps } from 'react-aria-components';

export type Variant = 'default' | 'primary' | 'danger' | 'ghost';

export interface ButtonProps extends Omit<AriaButtonProps, 'className'> {
  variant?: Variant | undefined;
  size?: 'md' | 'sm' | undefined;
  icon?: boolean | undefined;
  block?: boolean | undefined;
  className?: string | undefined;
}

export function buttonClass({ variant = 'default', size = 'md', icon = false, block = false, className = '' }: Pick<ButtonProps, 'variant' | 'size' | 'icon' | 'block' | 'className'>): string {
  return ['btn', variant !== 'default' ? `btn-${variant}` : '', size === 'sm' ? 'btn-sm' : '', icon ? 'btn-icon' : '', block ? 'btn-block' : '', className]
    .filter(Boolean)
    .join(' ');
}

/** The app's button (react-aria: press handling, focus ring only for keyboard focus). */
export function Button({ variant, size, icon, block, className, ...props }: ButtonProps) {
  return <AriaButton {...props} className={buttonClass({ variant, size, icon, block, className })} />;
}
