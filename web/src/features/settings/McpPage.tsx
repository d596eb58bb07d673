import { useState } from 'react';
import { origin } from '../../api/client';
import { atLeast, type CreatedApiKey } from '../../api/types';
import { useMe } from '../../app/auth';
import { CopyButton, CopyValue } from '../../ui/CopyButton';
import { useTitle } from '../../ui/useTitle';
import { CreateKeyForm, NewKeyCallout } from './ApiKeysPage';

export function mcpConfig(url: string, key: string): string {
  return JSON.stringify({ mcpServers: { pyairtable: { type: 'http', url, headers: { Authorization: `Bearer ${key}` } } } }, null, 2);
}

export function Component() {
  useTitle('MCP');
  const me = useMe();
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const url = `${origin}/mcp`;
  const key = created?.key ?? 'pyat_…';
  const config = mcpConfig(url, key);
  const bridge = `npx mcp-remote ${url} --header "Authorization: Bearer ${key}"`;

  return (
    <section className="stack-lg" aria-labelledby="mcp-title">
      <div>
        <h2 id="mcp-title">MCP server</h2>
        <p className="muted">
          Claude Desktop, IDEs and agents use the same Airtable tools as the chat over the Model Context Protocol (Streamable HTTP). A viewer key gets the read-only tools only.
        </p>
      </div>
      <div className="card stack">
        <h3>Server URL</h3>
        <CopyValue value={url} label="Copy URL" testId="mcp-url" />
      </div>
      <div className="card stack">
        <h3>1. Create a key for your client</h3>
        {created ? (
          <NewKeyCallout created={created} onDismiss={() => undefined} />
        ) : atLeast(me.role, 'member') ? (
          <CreateKeyForm onCreated={setCreated} defaultName="MCP client" submitLabel="Create key for MCP" />
        ) : (
          <p className="muted">Viewers cannot create keys: ask a member to create a viewer key for you.</p>
        )}
      </div>
      <div className="card stack">
        <h3>2. Paste this into your client's configuration</h3>
        {!created ? <p className="small muted">Create a key above and it is filled in here; until then replace <code>pyat_…</code> with one of your keys.</p> : null}
        <pre className="code-block" data-testid="mcp-config" tabIndex={0} role="region" aria-label="MCP client configuration">
          {config}
        </pre>
        <div>
          <CopyButton text={config} label="Copy configuration" />
        </div>
        <p className="small muted">Clients that only speak stdio can bridge with:</p>
        <pre className="code-block" tabIndex={0} role="region" aria-label="Bridge command">
          {bridge}
        </pre>
        <div>
          <CopyButton text={bridge} label="Copy command" />
        </div>
      </div>
    </section>
  );
}
