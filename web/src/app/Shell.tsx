import { Suspense, useState } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router';
import { Header, Menu, MenuItem, MenuSection, MenuTrigger, Popover, Separator } from 'react-aria-components';
import { asProblem, type Problem } from '../api/problem';
import { Logo } from '../features/auth/AuthLayout';
import { ProblemAlert } from '../ui/Alert';
import { Button } from '../ui/Button';
import { Loading } from '../ui/feedback';
import { ToastProvider } from '../ui/Toast';
import { useAuth, useMe } from './auth';
import { CommandPalette, PaletteButton } from './CommandPalette';
import { WatchProvider } from './watch';

function WorkspaceMenu({ onProblem }: { onProblem: (p: Problem | null) => void }) {
  const me = useMe();
  const auth = useAuth();
  const navigate = useNavigate();
  const others = me.tenants.filter((t) => t.tenantId !== me.tenant.id);
  return (
    <MenuTrigger>
      <Button variant="ghost" className="workspace-button" aria-label={`Workspace: ${me.tenant.name}. Switch workspace`}>
        <span className="workspace-name">{me.tenant.name}</span>
        <span className="badge">{me.role}</span>
        <span aria-hidden="true">▾</span>
      </Button>
      <Popover className="popover" placement="bottom start">
        <Menu
          className="menu"
          onAction={async (key) => {
            const k = String(key);
            if (k === 'settings') navigate('/settings/workspace');
            else if (k.startsWith('switch:')) {
              onProblem(null);
              try {
                await auth.switchTenant(k.slice('switch:'.length));
                navigate('/');
              } catch (err) {
                onProblem(asProblem(err));
              }
            }
          }}
        >
          <MenuSection>
            <Header className="menu-header">Current workspace</Header>
            <MenuItem className="menu-item" id="settings" textValue={`${me.tenant.name} settings`}>
              {me.tenant.name} — settings
            </MenuItem>
          </MenuSection>
          {others.length > 0 ? (
            <>
              <Separator className="menu-separator" />
              <MenuSection>
                <Header className="menu-header">Switch to</Header>
                {others.map((t) => (
                  <MenuItem key={t.tenantId} className="menu-item" id={`switch:${t.tenantId}`} textValue={`${t.name} ${t.role}`}>
                    <span className="workspace-name">{t.name}</span> <span className="badge">{t.role}</span>
                  </MenuItem>
                ))}
              </MenuSection>
            </>
          ) : null}
        </Menu>
      </Popover>
    </MenuTrigger>
  );
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  return ((parts[0]?.[0] ?? '?') + (parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '')).toUpperCase();
}

function UserMenu() {
  const me = useMe();
  const auth = useAuth();
  const navigate = useNavigate();
  const display = me.user.name || me.user.email;
  return (
    <MenuTrigger>
      <Button variant="ghost" className="avatar-button" aria-label={`Account menu for ${display}`}>
        <span className="avatar" aria-hidden="true">
          {initials(display)}
        </span>
      </Button>
      <Popover className="popover" placement="bottom end">
        <Menu
          className="menu"
          onAction={(key) => {
            if (key === 'signout') void auth.signOut().then(() => navigate('/signin'));
            else if (key === 'keys') navigate('/settings/api-keys');
            else if (key === 'budgets') navigate('/settings/budgets');
          }}
        >
          <MenuSection>
            <Header className="menu-header user-menu-header">
              <span className="user-menu-name">{me.user.name ?? 'Signed in'}</span>
              <span className="user-menu-email">{me.user.email}</span>
            </Header>
            <MenuItem className="menu-item" id="keys">
              API keys
            </MenuItem>
            <MenuItem className="menu-item" id="budgets">
              Usage and budgets
            </MenuItem>

          </MenuSection>
          <Separator className="menu-separator" />
          <MenuItem className="menu-item" id="signout">
            Sign out
          </MenuItem>
        </Menu>
      </Popover>
    </MenuTrigger>
  );
}

export function Component() {
  const [problem, setProblem] = useState<Problem | null>(null);
  return (
    <ToastProvider>
      <WatchProvider>
      <CommandPalette>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-header-inner">
          <Link to="/" className="brand" aria-label="PyAirtable home">
            <Logo />
            <span className="brand-name">PyAirtable</span>
          </Link>
          <WorkspaceMenu onProblem={setProblem} />
          <nav aria-label="Main" className="main-nav">
            <NavLink to="/bases">Data</NavLink>
            <NavLink to="/files">Files</NavLink>
            <NavLink to="/workflows">Workflows</NavLink>
            <NavLink to="/jobs">Jobs</NavLink>
            <NavLink to="/usage">Usage</NavLink>
            <NavLink to="/chat">Chat</NavLink>
            <NavLink to="/settings">Settings</NavLink>
          </nav>
          <PaletteButton />
          <UserMenu />
        </div>
      </header>
      <main id="main" tabIndex={-1} className="app-main">
        {problem ? (
          <div className="page">
            <ProblemAlert problem={problem} title="Could not switch workspace" />
          </div>
        ) : null}
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
      </CommandPalette>
      </WatchProvider>
    </ToastProvider>
  );
}
