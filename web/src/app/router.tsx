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
              { path: 'files', lazy: () => import('../features/files/FilesPage') },
              { path: 'files/:fileId', lazy: () => import('../features/files/FilePage') },
              { path: 'files/:fileId/import', lazy: () => import('../features/files/ImportPage') },
              { path: 'jobs', lazy: () => import('../features/sagas/SagasPage') },
              { path: 'jobs/:transactionId', lazy: () => import('../features/sagas/SagaPage') },
              { path: 'workflows', lazy: () => import('../features/workflows/WorkflowsPage') },
              // The editor is its own chunk: only the pages that edit load it.
              { path: 'workflows/new', lazy: () => import('../features/workflows/EditorPage') },
              { path: 'workflows/:workflowId/edit', lazy: () => import('../features/workflows/EditorPage') },
              { path: 'workflows/:workflowId', lazy: () => import('../features/workflows/WorkflowPage') },
              { path: 'workflows/:workflowId/runs/:executionId', lazy: () => import('../features/workflows/RunPage') },
              // uPlot loads with this page only.
              { path: 'usage', lazy: () => import('../features/usage/UsagePage') },
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
                  { path: 'secrets', lazy: () => import('../features/settings/SecretsPage') },
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
