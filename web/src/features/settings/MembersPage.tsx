import { useState, type FormEvent } from 'react';
import { origin } from '../../api/client';
import { asProblem, fieldError, type Problem } from '../../api/problem';
import { atLeast, ROLES, type Invitation, type Member, type Role } from '../../api/types';
import { useMe } from '../../app/auth';
import { Alert, ProblemAlert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { CopyValue } from '../../ui/CopyButton';
import { ConfirmMutation } from '../../ui/Dialog';
import { TextInput } from '../../ui/Field';
import { QueryState } from '../../ui/feedback';
import { ListTable } from '../../ui/ListTable';
import { useToast } from '../../ui/Toast';
import { useTitle } from '../../ui/useTitle';
import { useChangeRole, useInvite, useMembers, useRemoveMember, useWithdrawInvitation } from './api';

export function invitationLink(token: string): string {
  return `${origin}/invite?token=${encodeURIComponent(token)}`;
}

function InviteForm({ myRole }: { myRole: Role }) {
  const invite = useInvite();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const roles = ROLES.filter((r) => r !== 'owner' || myRole === 'owner');
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const data = new FormData(form);
    const email = String(data.get('email') ?? '').trim();
    const role = String(data.get('role') ?? 'member') as Role;
    setProblem(null);
    setLink(null);
    invite.mutate(
      { email, role },
      {
        onSuccess: (res) => {
          form.reset();
          setLink({ email: res.invitation.email, url: invitationLink(res.invitationToken) });
        },
        onError: (err) => setProblem(asProblem(err)),
      },
    );
  };
  return (
    <div className="card stack">
      <h3>Invite someone</h3>
      <form className="invite-form" onSubmit={submit}>
        <TextInput label="Email" name="email" type="email" required autoComplete="off" error={fieldError(problem, 'email')} className="grow" />
        <div className="field">
          <label htmlFor="invite-role">Role</label>
          <select id="invite-role" name="role" defaultValue="member">
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="btn btn-primary" disabled={invite.isPending}>
          {invite.isPending ? 'Inviting…' : 'Create invitation'}
        </button>
      </form>
      {problem ? <ProblemAlert problem={problem} /> : null}
      {link ? (
        <Alert tone="success" title={`Invitation for ${link.email} created`}>
          <p>Send them this link. It works once, for that email address, for 7 days — treat it like a password.</p>
          <CopyValue value={link.url} label="Copy link" testId="invitation-link" />
        </Alert>
      ) : null}
    </div>
  );
}

export function Component() {
  useTitle('Members');
  const me = useMe();
  const toast = useToast();
  const members = useMembers();
  const changeRole = useChangeRole();
  const remove = useRemoveMember();
  const withdraw = useWithdrawInvitation();
  const [problem, setProblem] = useState<Problem | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [withdrawing, setWithdrawing] = useState<Invitation | null>(null);
  const isAdmin = atLeast(me.role, 'admin');
  const canManage = (m: Member) => isAdmin && m.userId !== me.user.id && (m.role !== 'owner' || me.role === 'owner');
  const roleChoices = ROLES.filter((r) => r !== 'owner' || me.role === 'owner');

  return (
    <section className="stack-lg" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {isAdmin ? <InviteForm myRole={me.role} /> : <p className="muted">Owners and admins invite people and change roles.</p>}
      {problem ? <ProblemAlert problem={problem} /> : null}
      <QueryState query={members} label="Loading members…" />
      {members.data ? (
        <ListTable caption="Members of this workspace" columns={['Name', 'Email', 'Role', 'Joined']} actions>
          {members.data.members.map((m) => (
            <tr key={m.userId}>
              <td>
                {m.name ?? <span className="muted">—</span>} {m.userId === me.user.id ? <span className="badge">you</span> : null}
              </td>
              <td>{m.email}</td>
              <td>
                {canManage(m) ? (
                  <select
                    className="input input-compact"
                    aria-label={`Role of ${m.name ?? m.email}`}
                    value={m.role}
                    disabled={changeRole.isPending}
                    onChange={(e) => {
                      setProblem(null);
                      changeRole.mutate(
                        { userId: m.userId, role: e.target.value as Role },
                        {
                          onSuccess: (r) => toast(`${m.name ?? m.email} is now ${r.role}${r.apiKeysRevoked ? ` (${r.apiKeysRevoked} of their API keys revoked)` : ''}`),
                          onError: (err) => setProblem(asProblem(err)),
                        },
                      );
                    }}
                  >
                    {roleChoices.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ) : (
                  <span className="badge">{m.role}</span>
                )}
              </td>
              <td className="nowrap">{new Date(m.joinedAt).toLocaleDateString()}</td>
              <td>
                {canManage(m) ? (
                  <Button size="sm" variant="ghost" onPress={() => setRemoving(m)} aria-label={`Remove ${m.name ?? m.email}`}>
                    Remove
                  </Button>
                ) : null}
              </td>
            </tr>
          ))}
        </ListTable>
      ) : null}
      {isAdmin && members.data ? (
        <div className="stack">
          <h3>Pending invitations</h3>
          {(members.data.invitations ?? []).length === 0 ? (
            <p className="muted small">No pending invitations.</p>
          ) : (
            <ListTable caption="Pending invitations" columns={['Email', 'Role', 'Expires']} actions>
              {(members.data.invitations ?? []).map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>
                    <span className="badge">{i.role}</span>
                  </td>
                  <td className="nowrap">{new Date(i.expiresAt).toLocaleDateString()}</td>
                  <td>
                    <Button size="sm" variant="ghost" onPress={() => setWithdrawing(i)} aria-label={`Withdraw the invitation for ${i.email}`}>
                      Withdraw
                    </Button>
                  </td>
                </tr>
              ))}
            </ListTable>
          )}
        </div>
      ) : null}
      <ConfirmMutation
        item={removing}
        onClose={() => setRemoving(null)}
        title={(m) => `Remove ${m.name ?? m.email}?`}
        confirmLabel="Remove member"
        mutation={remove}
        variables={(m) => m.userId}
        done={(m) => `${m.name ?? m.email} removed`}
        onProblem={setProblem}
      >
        <p>They lose access to this workspace at once, and their API keys here are revoked.</p>
      </ConfirmMutation>
      <ConfirmMutation
        item={withdrawing}
        onClose={() => setWithdrawing(null)}
        title="Withdraw this invitation?"
        confirmLabel="Withdraw invitation"
        mutation={withdraw}
        variables={(i) => i.id}
        done={(i) => `Invitation for ${i.email} withdrawn`}
        onProblem={setProblem}
      >
        {(i) => <p>The link sent to {i.email} stops working.</p>}
      </ConfirmMutation>
    </section>
  );
}
