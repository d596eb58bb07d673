// Every page is a lazy route (its own chunk): the sign-in page loads only what it needs.
import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { RequireAuth, RedirectIfSignedIn } from './RequireAuth';
import { RouteError } from './RouteError';

export const routes: RouteObject[] = [
  {
    ErrorBoundary: RouteError,
    HydrateFallback: () => null,
    children: [
      {
        element: <RedirectIfSignedIn />,
        children: [
          { path: 'signin', lazy: () => import('../features/auth/SignInPage') },
          { path: 'signup', lazy: () => import('../features/auth/SignUpPage') },
        ],
      },
      { path: 'invite', lazy: () => import('../features/auth/InvitePage') },
      {
        element: <RequireAuth />,
        children: [
          {
            lazy: () => import('./Shell'),
            children: [
              { index: true, lazy: () => import('../features/records/HomeRedirect') },
              { path: 'onboarding', lazy: () => import('../features/onboarding/OnboardingPage') },
              { path: 'bases', lazy: () => import('../features/records/BasesPage') },
              { path: 'bases/:baseId', lazy: () => import('../features/records/TablesPage') },
              {
                path: 'bases/:baseId/tables/:tableId',
                lazy: () => import('../features/records/RecordsPage'),
                children: [{ path: 'records/:recordId', lazy: () => import('../features/records/RecordDrawer') }],
              },
              { path: 'chat/:sessionId?', lazy: () => import('../features/chat/ChatPage') },
              {
                path: 'settings',
                lazy: () => import('../features/settings/SettingsLayout'),
                children: [
                  { index: true, element: <Navigate to="workspace" replace /> },
                  { path: 'workspace', lazy: () => import('../features/settings/WorkspacePage') },
                  { path: 'members', lazy: () => import('../features/settings/MembersPage') },
                  { path: 'api-keys', lazy: () => import('../features/settings/ApiKeysPage') },
                  { path: 'budgets', lazy: () => import('../features/settings/BudgetsPage') },
                  { path: 'airtable', lazy: () => import('../features/settings/AirtablePage') },
                  { path: 'mcp', lazy: () => import('../features/settings/McpPage') },
                ],
              },
              { path: '*', lazy: () => import('./NotFound') },
            ],
          },
        ],
      },
    ],
  },
];

export const router = createBrowserRouter(routes);
