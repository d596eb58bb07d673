import { useState } from 'react';
import type { Problem } from '../../api/problem';
import { atLeast } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { ConfirmMutation } from '../../ui/Dialog';
import { QueryState } from '../../ui/feedback';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { useConnection } from '../records/api';
import { ConnectForm, ConnectionSummary, WhoCanConnect } from './ConnectForm';
import { useDisconnect } from './api';

export function Component() {
  useTitle('Airtable connection');
  const me = useMe();
  const toast = useToast();
  const connection = useConnection();
  const disconnect = useDisconnect();
  const [confirm, setConfirm] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const isAdmin = atLeast(me.role, 'admin');
  const c = connection.data;

  return (
    <section className="stack-lg" aria-labelledby="airtable-title">
      <h2 id="airtable-title">Airtable connection</h2>
      <QueryState query={connection} />
      {problem ? <ProblemAlert problem={problem} /> : null}
      {c?.status === 'connected' ? (
        <div className="card stack">
          <div className="row-between">
            <span className="badge badge-success">Connected</span>
            {isAdmin ? (
              <Button variant="danger" size="sm" onPress={() => setConfirm(true)}>
                Disconnect
              </Button>
            ) : null}
          </div>
          <ConnectionSummary connection={c} />
        </div>
      ) : null}
      {c?.status === 'not_connected' ? (
        <Alert tone="info" title="Not connected">
          <p>Connect a personal access token so the workspace can read and write its bases.</p>
        </Alert>
      ) : null}
      {c ? (
        isAdmin ? (
          <div className="card stack">
            <h3>{c.status === 'connected' ? 'Reconnect with another token' : 'Connect'}</h3>
            <ConnectForm submitLabel={c.status === 'connected' ? 'Reconnect' : 'Connect Airtable'} onConnected={(x) => x.status === 'connected' && toast(`Connected: ${x.basesCount} bases found`)} />
          </div>
        ) : (
          <WhoCanConnect />
        )
      ) : null}
      <ConfirmMutation
        item={confirm}
        onClose={() => setConfirm(false)}
        title="Disconnect Airtable?"
        confirmLabel="Disconnect"
        mutation={disconnect}
        variables={() => undefined}
        done="Airtable disconnected"
        onProblem={setProblem}
      >
        <p>The stored token is deleted. The grid, the chat's tools and MCP stop reaching Airtable until someone connects again.</p>
      </ConfirmMutation>
    </section>
  );
}
