import { NavLink, Outlet } from 'react-router';
import { useTitle } from '../../ui/useTitle';

const SECTIONS = [
  ['workspace', 'Workspace'],
  ['members', 'Members'],
  ['api-keys', 'API keys'],
  ['budgets', 'Budgets'],
  ['airtable', 'Airtable'],
  ['mcp', 'MCP'],
  ['secrets', 'Secrets'],
] as const;

export function Component() {
  useTitle('Settings');
  return (
    <div className="page">
      <div className="page-header">
        <h1>Settings</h1>
      </div>
      <nav className="subnav" aria-label="Settings sections">
        {SECTIONS.map(([path, label]) => (
          <NavLink key={path} to={`/settings/${path}`}>
            {label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}
