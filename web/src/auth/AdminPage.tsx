// Access administration: users and groups (admins), experiment permissions (admins and MANAGE holders).
import { useCallback, useEffect, useState, type ReactNode } from "react";
import type { Experiment } from "../api/types";
import { Button, ErrorBox, PromptDialog, Tabs, TextInput } from "../ui/kit";
import { authApi, canManage, managesAny, type ExperimentPermissions, type Group, type Level, type Session, type User } from "./api";
import { useAction } from "../ui/useAction";
import { cell, GrantRow, InlineForm, LevelSelect } from "./forms";

type Tab = "users" | "groups" | "permissions";

function Table({ head, children, testid }: { head: string[]; children: ReactNode; testid: string }) {
  return (
    <table data-testid={testid} style={{ borderCollapse: "collapse", marginTop: 12 }}>
      <thead>
        <tr>
          {head.map((h) => (
            <th key={h} align="left" style={cell}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

function UsersTab({ me }: { me: User }) {
  const [users, setUsers] = useState<User[]>([]);
  const reload = useCallback(() => void authApi.listUsers().then(setUsers, () => setUsers([])), []);
  useEffect(reload, [reload]);
  const [error, run] = useAction(reload);
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [dialog, setDialog] = useState<{ kind: "password" | "delete"; user: string } | null>(null);
  return (
    <div className="tl-col">
      {error ? <ErrorBox error={error} /> : null}
      <InlineForm submitLabel="Create user" onSubmit={() => void run(() => authApi.createUser(username.trim(), password)).then((ok) => ok && (setUsername(""), setPassword("")))}>
        <TextInput aria-label="New username" placeholder="username" value={username} onChange={(e) => setUsername(e.target.value)} />
        <TextInput aria-label="New user's password" placeholder="password (12+ characters)" type="password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </InlineForm>
      <Table head={["User", "Administrator", ""]} testid="users-table">
        {users.map((u) => (
          <tr key={u.id} data-testid={`user-${u.username}`}>
            <td style={cell}>{u.username}</td>
            <td style={cell}>
              <input type="checkbox" aria-label={`${u.username} is an administrator`} checked={u.is_admin} disabled={u.username === me.username} onChange={(e) => void run(() => authApi.setAdmin(u.username, e.target.checked))} />
            </td>
            <td style={cell} className="tl-row">
              <Button small onClick={() => setDialog({ kind: "password", user: u.username })}>
                Reset password
              </Button>
              <Button small variant="danger" disabled={u.username === me.username} onClick={() => setDialog({ kind: "delete", user: u.username })}>
                Delete
              </Button>
            </td>
          </tr>
        ))}
      </Table>
      {dialog?.kind === "password" ? (
        <PromptDialog
          title={`New password for ${dialog.user}`}
          label="Password (at least 12 characters)"
          confirmLabel="Set password"
          onCancel={() => setDialog(null)}
          onConfirm={(v) => void run(() => authApi.setPassword(dialog.user, v)).then(() => setDialog(null))}
        />
      ) : null}
      {dialog?.kind === "delete" ? (
        <PromptDialog title={`Delete user ${dialog.user} with their tokens and grants?`} confirmLabel="Delete" danger onCancel={() => setDialog(null)} onConfirm={() => void run(() => authApi.deleteUser(dialog.user)).then(() => setDialog(null))} />
      ) : null}
    </div>
  );
}

function GroupsTab() {
  const [groups, setGroups] = useState<Group[]>([]);
  const reload = useCallback(() => void authApi.listGroups().then(setGroups, () => setGroups([])), []);
  useEffect(reload, [reload]);
  const [error, run] = useAction(reload);
  const [name, setName] = useState("");
  const [member, setMember] = useState<Record<string, string>>({});
  return (
    <div className="tl-col">
      {error ? <ErrorBox error={error} /> : null}
      <InlineForm submitLabel="Create group" onSubmit={() => void run(() => authApi.createGroup(name.trim())).then((ok) => ok && setName(""))}>
        <TextInput aria-label="New group name" placeholder="group name" value={name} onChange={(e) => setName(e.target.value)} />
      </InlineForm>
      <Table head={["Group", "Members", ""]} testid="groups-table">
        {groups.map((g) => (
          <tr key={g.id} data-testid={`group-${g.name}`}>
            <td style={cell}>{g.name}</td>
            <td style={cell}>
              <span className="tl-row">
                {g.members.map((m) => (
                  <span key={m} className="tl-badge">
                    {m}{" "}
                    <button type="button" className="tl-btn ghost small" aria-label={`Remove ${m} from ${g.name}`} onClick={() => void run(() => authApi.removeMember(g.name, m))}>
                      ×
                    </button>
                  </span>
                ))}
                <TextInput aria-label={`Add a member to ${g.name}`} placeholder="username" value={member[g.name] ?? ""} onChange={(e) => setMember({ ...member, [g.name]: e.target.value })} style={{ width: 120 }} />
                <Button small onClick={() => void run(() => authApi.addMember(g.name, (member[g.name] ?? "").trim())).then((ok) => ok && setMember({ ...member, [g.name]: "" }))}>
                  Add
                </Button>
              </span>
            </td>
            <td style={cell}>
              <Button small variant="danger" onClick={() => void run(() => authApi.deleteGroup(g.name))}>
                Delete group
              </Button>
            </td>
          </tr>
        ))}
      </Table>
    </div>
  );
}

function PermissionsTab({ experiments }: { experiments: Experiment[] | null }) {
  const [experimentId, setExperimentId] = useState("");
  const [perms, setPerms] = useState<ExperimentPermissions | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const reload = useCallback(() => {
    if (!experimentId) return;
    authApi.permissions(experimentId).then(
      (p) => {
        setPerms(p);
        setLoadError(null);
      },
      (e: unknown) => {
        setPerms(null);
        setLoadError(e);
      },
    );
  }, [experimentId]);
  useEffect(reload, [reload]);
  const [error, run] = useAction(reload);
  const [kind, setKind] = useState<"user" | "group">("user");
  const [who, setWho] = useState("");
  const [level, setLevel] = useState<Level>("READ");
  const grant = (k: "user" | "group", name: string, l: Level) =>
    run(() => (k === "user" ? authApi.grantUser(experimentId, name, l) : authApi.grantGroup(experimentId, name, l)));
  return (
    <div className="tl-col">
      <label className="tl-row">
        <span>Experiment</span>
        <select className="tl-input" aria-label="Experiment" value={experimentId} onChange={(e) => setExperimentId(e.target.value)}>
          <option value="">(choose)</option>
          {(experiments ?? []).map((x) => (
            <option key={x.experiment_id} value={x.experiment_id}>
              {x.name} ({x.experiment_id})
            </option>
          ))}
        </select>
      </label>
      {loadError ? <ErrorBox error={loadError} title="You need MANAGE on this experiment" /> : null}
      {error ? <ErrorBox error={error} /> : null}
      {perms ? (
        <>
          <p className="tl-muted">
            Without a grant: {perms.default_permission}. A member gets the highest of its own grant and its groups' grants.
          </p>
          <Table head={["Who", "Permission", ""]} testid="permissions-table">
            {perms.users.map((u) => (
              <GrantRow key={`u-${u.username}`} kind="user" name={u.username} permission={u.permission} onChange={(l) => void grant("user", u.username, l)} onRevoke={() => void run(() => authApi.revokeUser(experimentId, u.username))} />
            ))}
            {perms.groups.map((g) => (
              <GrantRow key={`g-${g.group}`} kind="group" name={g.group} permission={g.permission} onChange={(l) => void grant("group", g.group, l)} onRevoke={() => void run(() => authApi.revokeGroup(experimentId, g.group))} />
            ))}
          </Table>
          <InlineForm submitLabel="Grant" style={{ marginTop: 12 }} onSubmit={() => void grant(kind, who.trim(), level).then((ok) => ok && setWho(""))}>
            <select className="tl-input" aria-label="Grant to" value={kind} onChange={(e) => setKind(e.target.value as "user" | "group")}>
              <option value="user">user</option>
              <option value="group">group</option>
            </select>
            <TextInput aria-label="User or group name" placeholder="name" value={who} onChange={(e) => setWho(e.target.value)} />
            <LevelSelect label="Permission to grant" value={level} onChange={setLevel} />
          </InlineForm>
        </>
      ) : null}
    </div>
  );
}

export function AdminPage({ session, experiments }: { session: Session | null; experiments: Experiment[] | null }) {
  const admin = session?.user.is_admin ?? false;
  const [tab, setTab] = useState<Tab>(admin ? "users" : "permissions");
  useEffect(() => setTab(admin ? "users" : "permissions"), [admin]);
  if (!session) return <div className="tl-page">Access administration needs a server started with --auth.</div>;
  if (!managesAny(session)) return <div className="tl-page">You hold MANAGE on no experiment: there are no permissions for you to change.</div>;
  const tabs = admin
    ? [
        { id: "users" as Tab, label: "Users" },
        { id: "groups" as Tab, label: "Groups" },
        { id: "permissions" as Tab, label: "Experiment permissions" },
      ]
    : [{ id: "permissions" as Tab, label: "Experiment permissions" }];
  return (
    <div className="tl-page" data-testid="access-page">
      <h1>{admin ? "Administration" : "Experiment permissions"}</h1>
      <Tabs tabs={tabs} value={tab} onChange={setTab} />
      <div style={{ marginTop: 12 }}>
        {tab === "users" && admin ? <UsersTab me={session.user} /> : null}
        {tab === "groups" && admin ? <GroupsTab /> : null}
        {tab === "permissions" ? <PermissionsTab experiments={(experiments ?? []).filter((x) => canManage(session, x.experiment_id))} /> : null}
      </div>
    </div>
  );
}
